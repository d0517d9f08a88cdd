/**
 * A database that cannot be reached is the service being unavailable (503), which
 * callers may retry, not an internal error.
 */
import { problems } from '@meshmart/kit';
import type { Middleware } from 'koa';
import mongoose from 'mongoose';

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
      throw err;
    }
  };
}
