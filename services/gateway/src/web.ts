/**
 * The web UI behind the gateway. Every GET or HEAD that no API route answers goes to the
 * web service through Dapr service invocation, so a browser meets one origin (the REST
 * API and the app share it: no CORS, cookies or tokens across origins) and the ingress
 * keeps exactly one public service. The web service's caching and security headers come
 * back unchanged.
 */
import type { Sidecar } from '@meshmart/kit';
import type { Context, Next } from 'koa';

/** Paths that belong to the API even when nothing matches: their 404 stays a problem. */
const API_PREFIXES = ['/api/', '/s/', '/.well-known/'];
const API_PATHS = new Set(['/api', '/healthz', '/readyz', '/metrics']);

const REQUEST_HEADERS = ['if-none-match', 'accept', 'x-request-id'];
const RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'etag',
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
];

export function isWebPath(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return !API_PATHS.has(path) && !API_PREFIXES.some((prefix) => path.startsWith(prefix));
}

export function webPassthrough(sidecar: Sidecar, timeoutMs: number) {
  return async (ctx: Context, next: Next) => {
    if (!isWebPath(ctx.method, ctx.path)) return next();
    const headers: Record<string, string> = {};
    for (const name of REQUEST_HEADERS) {
      const value = ctx.get(name);
      if (value !== '') headers[name] = value;
    }
    headers['x-request-id'] = ctx.state.requestId;
    const response = await sidecar.invokeRaw('web', ctx.path, { method: ctx.method, headers, timeoutMs });
    ctx.status = response.status;
    for (const name of RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) ctx.set(name, value);
    }
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 304 && ctx.method === 'GET') ctx.body = body;
  };
}
