/**
 * gRPC on both sides of the sidecar. Servers: handlers are wrapped to check the Dapr app
 * token, record metrics and turn thrown errors into status codes. Clients: calls go to
 * the caller's own sidecar with `dapr-app-id`, so Dapr resolves, secures and traces them.
 */
import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Problem, problems } from './errors.ts';
import type { Logger } from './logging.ts';
import { grpcMetrics, secondsSince } from './metrics.ts';
import { classifyOutage, mentionsInternals } from './outages.ts';

/** Trailer that carries a contract's error code next to the gRPC status, for callers to branch on. */
export const ERROR_CODE_TRAILER = 'meshmart-error-code';

export class GrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    /** One of the error codes of the service's contract, sent in ERROR_CODE_TRAILER. */
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

/** The contract's error code a failed call carries, if any. */
export function grpcErrorCode(err: unknown): string | undefined {
  const metadata = (err as Partial<grpc.ServiceError>).metadata;
  const value = metadata instanceof grpc.Metadata ? metadata.get(ERROR_CODE_TRAILER)[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

const HTTP_FOR_CODE: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.FAILED_PRECONDITION]: 409,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.ABORTED]: 409,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.CANCELLED]: 499,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

/** HTTP status a gateway answers for a gRPC status from upstream. */
export function httpStatusForGrpc(code: grpc.status): number {
  return HTTP_FOR_CODE[code] ?? 500;
}

/** Maps an error from a gRPC call to the problem the gateway answers with. */
export function problemFromGrpc(err: unknown, target: string): Problem {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e.code !== 'number') {
    return classifyOutage(err) ? problems.unavailable(`${target} is unavailable`, err) : problems.internal(err);
  }
  const status = httpStatusForGrpc(e.code);
  const said = e.details || e.message || grpc.status[e.code];
  // grpc-js words its own connection failures with the address it dialled.
  const detail = mentionsInternals(said) ? grpc.status[e.code] : said;
  if (status === 503 || classifyOutage(err)) return problems.unavailable(`${target} is unavailable: ${detail}`, err);
  if (status === 504) return problems.timeout(`${target} did not answer in time`, err);
  if (status >= 500) return problems.badGateway(`${target} failed: ${detail}`, err);
  const code = grpcErrorCode(err);
  return new Problem(status, `grpc-${grpc.status[e.code].toLowerCase().replace(/_/g, '-')}`, grpc.status[e.code], {
    detail,
    ...(code !== undefined && { code }),
  });
}

function tokenMatches(metadata: grpc.Metadata, expected: string): boolean {
  const got = metadata.get('dapr-api-token')[0];
  if (typeof got !== 'string') return false;
  const a = Buffer.from(got);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toServiceError(err: unknown, logger: Logger, method: string): Partial<grpc.ServiceError> {
  if (err instanceof GrpcError) {
    if (err.errorCode === undefined) return { code: err.code, details: err.message };
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_CODE_TRAILER, err.errorCode);
    return { code: err.code, details: err.message, metadata };
  }
  // A store or sidecar that is down: the caller may retry, and must not see the driver's words.
  if ((err instanceof Problem && err.status === 503) || (!(err instanceof Problem) && classifyOutage(err))) {
    logger.warn('grpc handler met an outage', { method, err: (err as Error).message });
    return { code: grpc.status.UNAVAILABLE, details: 'temporarily unavailable; retry later' };
  }
  if (err instanceof Problem && err.status < 500) {
    const code =
      err.status === 404
        ? grpc.status.NOT_FOUND
        : err.status === 409
          ? grpc.status.ALREADY_EXISTS
          : err.status === 401
            ? grpc.status.UNAUTHENTICATED
            : err.status === 403
              ? grpc.status.PERMISSION_DENIED
              : grpc.status.INVALID_ARGUMENT;
    return { code, details: err.detail ?? err.title };
  }
  logger.error('grpc handler failed', { method, err: (err as Error).message, stack: (err as Error).stack });
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

/**
 * Ends a server stream with an error status. grpc-js sends the status from the stream's
 * own 'error' listener; `destroy(err)` would skip that and leave the client waiting
 * for a status until its deadline.
 */
function failStream(call: grpc.ServerWritableStream<unknown, unknown>, se: Partial<grpc.ServiceError>): void {
  call.emit('error', Object.assign(new Error(se.details), se));
}

export type UnaryHandler<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;
export type StreamHandler<Req, Res> = (call: grpc.ServerWritableStream<Req, Res>) => Promise<void>;
// biome-ignore lint/suspicious/noExplicitAny: each service types its own handlers; this is the erased form
type AnyHandler = (call: any) => Promise<unknown>;

export interface GrpcServerOptions {
  logger: Logger;
  appToken?: string | undefined;
  /**
   * Asked before each call: true answers UNAVAILABLE as an outage would (a fault flag
   * such as `inventory.unavailable`), so callers' retries and compensation can be watched.
   */
  unavailable?: () => boolean;
}

const OUTAGE: Partial<grpc.ServiceError> = { code: grpc.status.UNAVAILABLE, details: 'temporarily unavailable; retry later' };

/**
 * A grpc-js server whose services are registered through addService, which wraps each
 * unary and server-streaming handler. Handlers return a value (unary) or write to the
 * call (streams) and may throw GrpcError.
 */
export function createGrpcServer({ logger, appToken, unavailable }: GrpcServerOptions) {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });

  function observe(path: string, code: grpc.status, started: bigint): void {
    const [, svc = '', method = ''] = /^\/([^/]+)\/(.+)$/.exec(path) ?? [];
    const labels = { grpc_service: svc, grpc_method: method, grpc_code: grpc.status[code] };
    grpcMetrics().record(labels, secondsSince(started));
  }

  function addService(definition: grpc.ServiceDefinition, impl: Record<string, AnyHandler>): void {
    const wrapped: grpc.UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(definition)) {
      const handler = impl[name];
      if (!handler) throw new Error(`no handler for ${def.path}`);
      if (def.requestStream) throw new Error(`${def.path}: client streams are not supported`);
      if (!def.responseStream) {
        wrapped[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const started = process.hrtime.bigint();
          if (appToken && !tokenMatches(call.metadata, appToken)) {
            observe(def.path, grpc.status.UNAUTHENTICATED, started);
            callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong app token' });
            return;
          }
          if (unavailable?.()) {
            observe(def.path, grpc.status.UNAVAILABLE, started);
            callback(OUTAGE);
            return;
          }
          handler(call).then(
            (response) => {
              observe(def.path, grpc.status.OK, started);
              callback(null, response);
            },
            (err: unknown) => {
              const se = toServiceError(err, logger, def.path);
              observe(def.path, se.code ?? grpc.status.UNKNOWN, started);
              callback(se);
            },
          );
        };
      } else {
        wrapped[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
          const started = process.hrtime.bigint();
          if (appToken && !tokenMatches(call.metadata, appToken)) {
            observe(def.path, grpc.status.UNAUTHENTICATED, started);
            failStream(call, { code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong app token' });
            return;
          }
          if (unavailable?.()) {
            observe(def.path, grpc.status.UNAVAILABLE, started);
            failStream(call, OUTAGE);
            return;
          }
          handler(call).then(
            () => {
              observe(def.path, grpc.status.OK, started);
              call.end();
            },
            (err: unknown) => {
              const se = toServiceError(err, logger, def.path);
              observe(def.path, se.code ?? grpc.status.UNKNOWN, started);
              failStream(call, se);
            },
          );
        };
      }
    }
    server.addService(definition, wrapped);
  }

  return { server, addService };
}

export interface SidecarTarget {
  /** The caller's own sidecar gRPC port. */
  daprGrpcPort: number;
  daprApiToken?: string | undefined;
}

type ClientCtor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C;

/** A generated gRPC client whose calls go through the caller's sidecar to `appId`. */
export function sidecarGrpcClient<C>(Ctor: ClientCtor<C>, appId: string, target: SidecarTarget): C {
  const addDaprMetadata: grpc.Interceptor = (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('dapr-app-id', appId);
        if (target.daprApiToken) metadata.set('dapr-api-token', target.daprApiToken);
        if (options.method_definition.responseStream) metadata.set('dapr-stream', 'true');
        next(metadata, listener);
      },
    });
  return new Ctor(`127.0.0.1:${target.daprGrpcPort}`, grpc.credentials.createInsecure(), {
    interceptors: [addDaprMetadata],
    // A restarted sidecar should be redialled quickly rather than after the default
    // two-minute backoff ceiling.
    'grpc.max_reconnect_backoff_ms': 2000,
    'grpc.initial_reconnect_backoff_ms': 200,
  });
}

/** Promise form of a unary call with a deadline. */
export function unary<Req, Res>(
  fn: (
    req: Req,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    cb: (err: grpc.ServiceError | null, res: Res) => void,
  ) => unknown,
  req: Req,
  timeoutMs = 5000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
