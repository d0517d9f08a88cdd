/**
 * RFC 9457 problem details. Every HTTP error leaves a service as
 * `application/problem+json`; handlers throw a Problem and the app factory renders it.
 */
import { type FieldError, idempotencyErrors } from '@meshmart/contracts/problem';

export type { FieldError };

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  /** What went wrong, for programs (contracts' error codes); callers branch on it, never on words. */
  code?: string;
  [extension: string]: unknown;
}

const TYPE_BASE = 'https://meshmart.dev/problems/';

export class Problem extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;
  /** Named by the API's contract, or else the type's slug in snake case (`not_found`). */
  readonly code: string;

  constructor(
    status: number,
    slug: string,
    title: string,
    options: {
      detail?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
      code?: string;
      cause?: unknown;
    } = {},
  ) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = 'Problem';
    this.status = status;
    this.type = TYPE_BASE + slug;
    this.title = title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
    this.code = options.code ?? slug.replace(/-/g, '_');
  }

  toBody(instance?: string): ProblemBody {
    return {
      ...this.extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail !== undefined && { detail: this.detail }),
      ...(instance !== undefined && { instance }),
      ...(this.errors !== undefined && { errors: this.errors }),
    };
  }
}

export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) =>
    new Problem(400, 'bad-request', 'Bad request', { detail, ...(errors && { errors }) }),
  validation: (errors: FieldError[]) =>
    new Problem(400, 'validation', 'Request failed validation', {
      detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      errors,
    }),
  unauthorized: (detail: string) =>
    new Problem(401, 'unauthorized', 'Unauthorized', { detail, headers: { 'www-authenticate': 'Bearer' } }),
  forbidden: (detail: string) => new Problem(403, 'forbidden', 'Forbidden', { detail }),
  notFound: (detail: string) => new Problem(404, 'not-found', 'Not found', { detail }),
  /** `code`: the contract's name for this conflict, when callers may need to tell it from others. */
  conflict: (detail: string, code?: string) =>
    new Problem(409, 'conflict', 'Conflict', { detail, ...(code !== undefined && { code }) }),
  gone: (detail: string) => new Problem(410, 'gone', 'Gone', { detail }),
  payloadTooLarge: (limit: string) =>
    new Problem(413, 'payload-too-large', 'Payload too large', { detail: `request body exceeds ${limit}` }),
  unsupportedMediaType: (detail: string) => new Problem(415, 'unsupported-media-type', 'Unsupported media type', { detail }),
  tooManyRequests: (retryAfterSeconds: number) =>
    new Problem(429, 'rate-limited', 'Too many requests', {
      detail: `rate limit exceeded; retry in ${retryAfterSeconds}s`,
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  internal: (cause?: unknown) =>
    new Problem(500, 'internal', 'Internal error', { detail: 'an unexpected error occurred', cause }),
  badGateway: (detail: string, cause?: unknown) => new Problem(502, 'bad-gateway', 'Bad gateway', { detail, cause }),
  unavailable: (detail: string, cause?: unknown, retryAfterSeconds = 1) =>
    new Problem(503, 'unavailable', 'Service unavailable', {
      detail,
      cause,
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  timeout: (detail: string, cause?: unknown) => new Problem(504, 'timeout', 'Upstream timeout', { detail, cause }),
  idempotencyKeyReused: () =>
    new Problem(422, 'idempotency-key-reused', 'Idempotency key reused', {
      detail: 'this Idempotency-Key was already used with a different request',
      code: idempotencyErrors.keyReused,
    }),
  idempotencyKeyInFlight: () =>
    new Problem(409, 'idempotency-key-in-flight', 'Request in progress', {
      detail: 'a request with this Idempotency-Key is still being processed; retry later',
      headers: { 'retry-after': '1' },
      code: idempotencyErrors.keyInFlight,
    }),
};

/** Recreates a Problem from a problem+json body received from another service. */
export function problemFromBody(body: ProblemBody, headers: Record<string, string> = {}): Problem {
  const slug = body.type.startsWith(TYPE_BASE) ? body.type.slice(TYPE_BASE.length) : 'upstream';
  const { type: _t, title, status, detail, errors, instance: _i, code, ...extensions } = body;
  return new Problem(status, slug, title, {
    ...(typeof code === 'string' && { code }),
    ...(detail !== undefined && { detail }),
    ...(errors !== undefined && { errors }),
    headers,
    extensions,
  });
}

export function isProblemBody(value: unknown): value is ProblemBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.type === 'string' && typeof v.title === 'string' && typeof v.status === 'number';
}
