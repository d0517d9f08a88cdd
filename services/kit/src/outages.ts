/**
 * Failures of infrastructure and sidecars, told apart from bugs. A database, broker,
 * state store or sidecar that cannot be reached is a temporary condition the client
 * should retry, so it answers 503 with Retry-After and names what the route provides
 * ("sign-in is unavailable right now"); never 401, which would sign the user out, and
 * never the driver's message, which names internal addresses. The cause is logged instead.
 */
import type { Context, Next } from 'koa';
import { Problem, problems } from './errors.ts';

export type OutageKind = 'connection' | 'timeout' | 'database' | 'sidecar';

/** Seconds a client is asked to wait before retrying a request that met an outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * A building-block call (state, publish, bindings) the sidecar answered with an error.
 * `sidecarStatus` rather than `status`, so that a 4xx from the sidecar is not rendered as
 * the client's own 4xx.
 */
export class SidecarError extends Error {
  override name = 'SidecarError';
  constructor(
    message: string,
    readonly sidecarStatus: number,
    /** Dapr's `errorCode`, e.g. ERR_STATE_SAVE, when the body carried one. */
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** SQLSTATEs of a server that cannot serve now: connection exceptions (class 08), shutdown, too many connections. */
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
/** pg-pool and pg's own words for a connection that was never made or was lost. */
const PG_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i;
const MONGO_NETWORK = /^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed)Error$/;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNKNOWN = 2;
/** daprd's words when name resolution finds no sidecar for the app id. */
const DAPR_NO_CALLEE = /no host found with the given ID|failed to resolve address|error finding address/i;

function classifyOne(err: object): OutageKind | undefined {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; metadata?: unknown };
  if (err instanceof SidecarError) return err.sidecarStatus >= 500 ? 'sidecar' : undefined;
  if (e.name === 'TimeoutError') return 'timeout';
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code)) return 'connection';
    if (PG_UNAVAILABLE.test(e.code)) return 'database';
  }
  // A gRPC ServiceError (it carries metadata): the peer or the sidecar's proxy is gone or slow.
  if (typeof e.code === 'number' && e.metadata !== undefined) {
    if (e.code === GRPC_UNAVAILABLE) return 'connection';
    if (e.code === GRPC_DEADLINE_EXCEEDED) return 'timeout';
    // daprd's gRPC proxy answers UNKNOWN when the callee's sidecar is not registered.
    if (e.code === GRPC_UNKNOWN && typeof e.message === 'string' && DAPR_NO_CALLEE.test(e.message)) return 'sidecar';
  }
  if (typeof e.name === 'string' && MONGO_NETWORK.test(e.name)) return 'database';
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return 'database';
  return undefined;
}

/**
 * What kind of outage an error is, or undefined for anything else. Follows `cause` and
 * AggregateError's `errors`: fetch wraps socket errors in a TypeError, and Node reports a
 * refused dual-stack connect as an AggregateError.
 */
export function classifyOutage(err: unknown): OutageKind | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  // Bounded: a cause chain may be cyclic or absurdly deep.
  while (queue.length > 0 && seen.size < 16) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    // A Problem is an answer already chosen; its cause is not a new outage.
    if (next instanceof Problem) continue;
    const kind = classifyOne(next);
    if (kind) return kind;
    const { cause, errors } = next as { cause?: unknown; errors?: unknown };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return undefined;
}

const INTERNALS = [
  /\b\d{1,3}(\.\d{1,3}){3}\b/, // IPv4 address
  /\[?::1\]?|\[[0-9a-f:]+\]/i, // IPv6 loopback or bracketed address
  /\blocalhost\b/i,
  /[\w\].-]:\d{2,5}\b/, // host:port (not a JSON member such as "status":503)
  /\bport \d{2,5}\b/i,
  /\bE(CONN\w*|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)\b/,
  /\bUND_ERR_\w+/,
];

/** Whether a text names an address, a port or a socket error: nothing a client should see. */
export function mentionsInternals(text: string): boolean {
  return INTERNALS.some((pattern) => pattern.test(text));
}

/** The detail of a 503 for a route that provides `capability`. */
export function unavailableDetail(capability: string | undefined): string {
  return `${capability ?? 'this service'} is unavailable right now; please retry shortly`;
}

/**
 * The problem an error thrown by a handler becomes. Problems pass through, except that a
 * 503 on a route that names its capability says that capability, and a 5xx never carries
 * an address or a driver message. Outages become 503; errors of Koa's own with a 4xx
 * status keep it; everything else is a 500 that tells nothing.
 */
export function problemFor(err: unknown, capability?: string): Problem {
  if (err instanceof Problem) return sanitized(err, capability);
  if (classifyOutage(err)) return problems.unavailable(unavailableDetail(capability), err, OUTAGE_RETRY_AFTER_SECONDS);
  if (isHttpError(err) && err.status >= 400 && err.status < 500) return new Problem(err.status, 'http-error', err.message);
  return problems.internal(err);
}

function sanitized(problem: Problem, capability: string | undefined): Problem {
  const isUnavailable = problem.status === 503;
  const leaks = problem.status >= 500 && problem.detail !== undefined && mentionsInternals(problem.detail);
  const hasRetryAfter = Object.keys(problem.headers).some((h) => h.toLowerCase() === 'retry-after');
  const renamed = isUnavailable && capability !== undefined;
  if (!leaks && !renamed && (!isUnavailable || hasRetryAfter)) return problem;
  const detail = isUnavailable ? unavailableDetail(capability) : genericDetail(problem.status);
  return new Problem(problem.status, problem.type.replace(/^.*\//, ''), problem.title, {
    detail,
    ...(problem.errors && { errors: problem.errors }),
    headers: {
      ...problem.headers,
      ...(isUnavailable && !hasRetryAfter && { 'retry-after': String(OUTAGE_RETRY_AFTER_SECONDS) }),
    },
    extensions: problem.extensions,
    code: problem.code,
    cause: problem,
  });
}

function genericDetail(status: number): string {
  if (status === 504) return 'an upstream service did not answer in time';
  if (status === 502) return 'an upstream service failed';
  return 'an unexpected error occurred';
}

function isHttpError(err: unknown): err is { status: number; message: string } {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * Names what the routes behind it provide, for the detail of a 503 ("checkout"). Use it
 * on a route (`router.post('/orders', capability('checkout'), handler)`) or on a whole
 * router; the innermost one wins.
 */
export function capability(name: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.capability = name;
    await next();
  };
}
