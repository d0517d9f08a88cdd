/**
 * gRPC stand-ins for links and qr, listening where the gateway expects its sidecar's gRPC
 * port. Each test sets the handlers it needs; the others answer UNIMPLEMENTED.
 */

import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER, sidecarGrpcClient } from '@meshmart/kit';
import { LinksServiceClient, type LinksServiceServer, LinksServiceService } from '@meshmart/proto/links/v1/links';
import { QRServiceClient, type QRServiceServer, QRServiceService } from '@meshmart/proto/qr/v1/qr';
import { RecommendationsServiceClient } from '@meshmart/proto/recommendations/v1/recommendations';
import type { LinksDeps } from '../src/links.ts';
import type { QrDeps } from '../src/qr.ts';
import type { RecommendationsDeps } from '../src/recommendations.ts';

export const PUBLIC_BASE_URL = 'https://mesh.example';

export function grpcDeps(
  target: { daprGrpcPort: number },
  heartbeatMs = 15_000,
): { links: LinksDeps; qr: QrDeps; recommendations: RecommendationsDeps } {
  return {
    links: {
      client: sidecarGrpcClient(LinksServiceClient, 'links', target),
      publicBaseUrl: PUBLIC_BASE_URL,
      unaryTimeoutMs: 2000,
      resolveTimeoutMs: 2000,
      heartbeatMs,
    },
    qr: {
      client: sidecarGrpcClient(QRServiceClient, 'qr', target),
      unaryTimeoutMs: 2000,
      batchTimeoutMs: 10_000,
      heartbeatMs,
    },
    recommendations: { client: sidecarGrpcClient(RecommendationsServiceClient, 'recommendations', target), unaryTimeoutMs: 2000 },
  };
}

/** A failed call as a server sends it; `errorCode` is the contract's code, in its trailer. */
export function grpcError(code: grpc.status, details: string, errorCode?: string): Partial<grpc.ServiceError> {
  if (errorCode === undefined) return { code, details };
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_TRAILER, errorCode);
  return { code, details, metadata };
}

// biome-ignore lint/suspicious/noExplicitAny: the fakes swap handlers of every shape
type AnyHandler = (call: any, callback?: any) => void;

export class FakeBackends {
  links: Partial<LinksServiceServer> = {};
  qr: Partial<QRServiceServer> = {};
  /** Method names in the order they were called. */
  readonly calls: string[] = [];
  private readonly server = new grpc.Server();
  port = 0;

  async start(): Promise<void> {
    const dispatch = (service: 'links' | 'qr', names: string[]) =>
      Object.fromEntries(
        names.map((name): [string, AnyHandler] => [
          name,
          (call, callback) => {
            this.calls.push(name);
            const handler = (this[service] as Record<string, AnyHandler | undefined>)[name];
            if (handler) return handler(call, callback);
            const err = grpcError(grpc.status.UNIMPLEMENTED, `${name} is not faked`);
            if (callback) callback(err);
            else call.emit('error', Object.assign(new Error(err.details), err));
          },
        ]),
      );
    this.server.addService(LinksServiceService, dispatch('links', Object.keys(LinksServiceService)));
    this.server.addService(QRServiceService, dispatch('qr', Object.keys(QRServiceService)));
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
  }

  reset(): void {
    this.links = {};
    this.qr = {};
    this.calls.length = 0;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Retries an assertion until it holds (or 5 s pass), for effects that cross a socket. */
export async function waitFor(assertion: () => void | Promise<void>): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
