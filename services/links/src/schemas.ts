/**
 * Checks of everything a caller sends, at links' edge. Each failure is INVALID_ARGUMENT
 * naming the proto field, so the gateway can point at the offending input.
 */
import { randomInt } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';

export const MAX_URL_LENGTH = 2048;
const MAX_EXPIRY_MS = 10 * 366 * 24 * 3600 * 1000;
const ALIAS = /^[A-Za-z0-9_-]{3,64}$/;
/** Anything that could be a code: aliases and generated codes. */
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Words that would read as part of the site rather than someone's link, or that clash
 * with routes in front of the redirect. Compared case-insensitively.
 */
export const RESERVED_ALIASES = new Set([
  'admin',
  'api',
  'app',
  'assets',
  'auth',
  'favicon.ico',
  'healthz',
  'help',
  'login',
  'logout',
  'metrics',
  'qr',
  'readyz',
  'robots.txt',
  'root',
  's',
  'static',
  'status',
  'support',
  'www',
]);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const GENERATED_CODE_LENGTH = 7;

function invalid(message: string): GrpcError {
  return new GrpcError(status.INVALID_ARGUMENT, message);
}

/**
 * The target as it will be stored and redirected to: WHATWG-serialised, so what goes
 * into the Location header is percent-encoded and has no surprises.
 */
export function checkTargetUrl(raw: string): string {
  if (!raw) throw invalid('target_url is required');
  if (raw.length > MAX_URL_LENGTH) throw invalid(`target_url must be at most ${MAX_URL_LENGTH} characters`);
  // WHATWG parsing silently drops tabs and newlines, which is how `java\nscript:` sneaks
  // past naive checks; such input is refused, not repaired.
  if (CONTROL.test(raw)) throw invalid('target_url must not contain control characters');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid('target_url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`target_url must be an http or https URL, not ${url.protocol}`);
  }
  if (!url.hostname) throw invalid('target_url must name a host');
  if (url.username || url.password) throw invalid('target_url must not carry credentials (user:password@)');
  if (url.href.length > MAX_URL_LENGTH) throw invalid(`target_url must be at most ${MAX_URL_LENGTH} characters once encoded`);
  return url.href;
}

export function checkAlias(alias: string): string {
  if (!ALIAS.test(alias)) throw invalid('alias must be 3 to 64 characters of A-Z, a-z, 0-9, _ and -');
  if (RESERVED_ALIASES.has(alias.toLowerCase())) throw invalid(`alias "${alias}" is reserved`);
  return alias;
}

export function checkCode(code: string): string {
  if (!CODE.test(code)) throw invalid('code must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');
  return code;
}

export function checkOwner(ownerId: string): string {
  if (!ownerId) throw invalid('owner_id is required');
  if (ownerId.length > 128 || CONTROL.test(ownerId)) throw invalid('owner_id must be at most 128 printable characters');
  return ownerId;
}

/** An RFC 3339 timestamp, refusing dates that do not exist (2026-02-30). */
export function parseTimestamp(value: string, field: string): Date {
  const at = RFC3339.test(value) ? new Date(value) : undefined;
  if (!at || Number.isNaN(at.getTime()) || !sameCalendarDay(value, at)) {
    throw invalid(`${field} must be an RFC 3339 timestamp such as 2026-12-31T23:59:00Z`);
  }
  return at;
}

/** The written date survives parsing: JavaScript rolls 2026-02-30 over to March 2. */
function sameCalendarDay(value: string, at: Date): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(value);
  const shiftMs = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  const local = new Date(at.getTime() + shiftMs);
  return local.getUTCFullYear() === y && local.getUTCMonth() + 1 === m && local.getUTCDate() === d;
}

export function checkExpiry(value: string, now = new Date()): Date {
  const at = parseTimestamp(value, 'expires_at');
  if (at.getTime() <= now.getTime()) throw invalid('expires_at must be in the future');
  if (at.getTime() - now.getTime() > MAX_EXPIRY_MS) throw invalid('expires_at must be within 10 years');
  return at;
}

/** 7 base62 characters from the CSPRNG: 62^7 ≈ 3.5e12 codes, not guessable in sequence. */
export function generateCode(): string {
  for (;;) {
    let code = '';
    for (let i = 0; i < GENERATED_CODE_LENGTH; i++) code += BASE62[randomInt(BASE62.length)];
    if (!RESERVED_ALIASES.has(code.toLowerCase())) return code;
  }
}

export function checkPageSize(pageSize: number): number {
  if (pageSize === 0) return 20;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw invalid('page_size must be 1 to 100');
  return pageSize;
}

/** Page tokens name the last code of the previous page; opaque to callers. */
export function encodePageToken(code: string): string {
  return Buffer.from(`v1:${code}`).toString('base64url');
}

export function decodePageToken(token: string): string | undefined {
  if (!token) return undefined;
  const decoded = /^v1:([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!decoded?.[1] || token.length > 200) throw invalid('page_token is not one this service issued');
  return decoded[1];
}

export type Granularity = 'hour' | 'day';

export interface StatsRange {
  from: Date;
  to: Date;
  granularity: Granularity;
  /** Start of every bucket that overlaps [from, to). */
  buckets: Date[];
}

const BUCKET_MS: Record<Granularity, number> = { hour: 3600_000, day: 86_400_000 };

export function checkStatsRange(
  input: { from?: string | undefined; to?: string | undefined; granularity: string },
  maxBuckets: number,
  now = new Date(),
): StatsRange {
  const granularity = input.granularity || 'hour';
  if (granularity !== 'hour' && granularity !== 'day') throw invalid('granularity must be "hour" or "day"');
  const to = input.to ? parseTimestamp(input.to, 'to') : now;
  const from = input.from ? parseTimestamp(input.from, 'from') : new Date(to.getTime() - 7 * BUCKET_MS.day);
  if (from.getTime() >= to.getTime()) throw invalid('from must be before to');
  const step = BUCKET_MS[granularity];
  // Buckets are UTC hours or days, the same boundaries PostgreSQL's date_trunc(…, 'UTC') uses.
  const first = Math.floor(from.getTime() / step) * step;
  const count = Math.ceil((to.getTime() - first) / step);
  if (count > maxBuckets) {
    throw invalid(`from..to spans ${count} ${granularity}s; at most ${maxBuckets} buckets (use a shorter range or "day")`);
  }
  const buckets = Array.from({ length: count }, (_, i) => new Date(first + i * step));
  return { from, to, granularity, buckets };
}
