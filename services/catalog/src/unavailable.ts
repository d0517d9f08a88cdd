/**
 * A database that cannot be reached is the service being unavailable (503, gRPC
 * UNAVAILABLE), which callers may retry, not an internal error; so is a product too
 * contended to change right now (409 over REST, ABORTED over gRPC).
 */

import { status } from '@grpc/grpc-js';
import { GrpcError, problems } from '@meshmart/kit';
import type { Middleware } from 'koa';
import mongoose from 'mongoose';
import { ContentionError } from './versioned-store.ts';

const { MongoNetworkError, MongoServerSelectionError, MongoNotConnectedError, MongoTopologyClosedError } = mongoose.mongo;

export function isDatabaseUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}

/** Router middleware for the REST routes. */
export function restUnavailable(): Middleware {
  return async (_ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw problems.unavailable('the catalog database cannot be reached', err);
      if (err instanceof ContentionError) throw problems.conflict(err.message);
      throw err;
    }
  };
}

/** Wraps a gRPC handler's work. */
export async function grpcUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new GrpcError(status.UNAVAILABLE, 'the catalog database cannot be reached');
    if (err instanceof ContentionError) throw new GrpcError(status.ABORTED, err.message);
    throw err;
  }
}
