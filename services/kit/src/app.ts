/**
 * The Koa app factory every HTTP service uses: request id, problem+json errors, JSON
 * bodies with a size limit, RED metrics per route template, Dapr app-token check,
 * `/healthz`, `/readyz` and `/metrics`.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { readJsonBody } from './body.ts';
import { SIDECAR_PROBE_PATH } from './deployment/sidecar.ts';
import { Problem, problems } from './errors.ts';
import { nameServerSpan, PROBE_PATHS } from './http-server-span.ts';
import { type Logger, requestContext } from './logging.ts';
import { httpMetrics, initMetrics, registry, secondsSince } from './metrics.ts';
import { classifyOutage, problemFor } from './outages.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface AppOptions {
  service: string;
  logger: Logger;
  /** Largest JSON body accepted, e.g. `64kb`; a function picks it per request (by route). */
  bodyLimit?: string | ((ctx: Context) => string);
  /**
   * Token the sidecar sends in `dapr-api-token`. When set, every route except the probes
   * and `/metrics` refuses calls without it, so only the app's own sidecar can reach it.
   */
  appToken?: string | undefined;
  readiness?: ReadinessCheck[];
  /** Called on each health probe of the app's sidecar (`SIDECAR_PROBE_PATH`). */
  onSidecarProbe?: () => void;
  /**
   * What the service provides, named in the detail of a 503 when a route names nothing
   * more precise with `capability()`, e.g. `the product catalog`.
   */
  capability?: string;
}

export interface AppState {
  requestId: string;
  body: unknown;
  /** Set by `capability()`: what the route provides, for the detail of a 503. */
  capability?: string;
}

export type AppContext = Context & { state: AppState };

export interface ServiceApp {
  app: Koa;
  router: Router;
  /** Flipped by graceful shutdown so load balancers stop sending before the port closes. */
  setDraining(): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createApp(options: AppOptions): ServiceApp {
  const { logger, bodyLimit = '64kb', appToken, readiness = [] } = options;
  initMetrics(options.service);
  const app = new Koa({ proxy: true });
  const router = new Router();
  let draining = false;
  // Errors after the response began. A client leaving an event stream cuts Koa's body
  // pipeline short: that is how such streams end, not a failure.
  app.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    logger.error('response failed after it began', { err: err.message, stack: err.stack });
  });

  app.use(async (ctx: Context, next: Next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('x-request-id', requestId);
    await requestContext.run({ requestId }, next);
  });

  app.use(async (ctx: Context, next: Next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw problems.notFound(`no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      renderError(ctx, err, logger, options.capability);
    } finally {
      const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
      if (route !== 'unmatched') nameServerSpan(ctx.req, route);
      if (!PROBE_PATHS.has(ctx.path)) {
        const labels = { method: ctx.method, route, status: String(ctx.status) };
        const seconds = secondsSince(started);
        httpMetrics().record(labels, seconds);
        // Checked first: below the logger's level winston still builds and pipes the entry before dropping it.
        if (logger.isLevelEnabled('http')) {
          logger.http('request', { ...labels, path: ctx.path, duration_ms: Math.round(seconds * 1000) });
        }
      }
    }
  });

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get(SIDECAR_PROBE_PATH, (ctx) => {
    options.onSidecarProbe?.();
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (draining) {
      ctx.status = 503;
      ctx.body = { status: 'draining' };
      return;
    }
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: (err as Error).message };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'not ready', checks: results };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });

  // On the router, not the app: it runs only for matched routes, so unknown paths are a
  // plain 404 and metrics carry the route template even when the body is rejected.
  router.use(async (ctx: Context, next: Next) => {
    if (appToken && !PROBE_PATHS.has(ctx.path) && !tokensEqual(ctx.get('dapr-api-token'), appToken)) {
      throw problems.unauthorized('missing or wrong app token: this service is reached through its Dapr sidecar');
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'DELETE') {
      ctx.state.body = await readJsonBody(ctx, typeof bodyLimit === 'function' ? bodyLimit(ctx) : bodyLimit);
    }
    await next();
  });

  return {
    app,
    router,
    setDraining: () => {
      draining = true;
    },
  };
}

/** Mounts the router last so that services can add routes after createApp(). */
export function finishApp({ app, router }: ServiceApp): Koa {
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new Problem(405, 'method-not-allowed', 'Method not allowed'),
      notImplemented: () => new Problem(501, 'not-implemented', 'Not implemented'),
    }),
  );
  return app;
}

function renderError(ctx: Context, err: unknown, logger: Logger, defaultCapability: string | undefined): void {
  const named = typeof ctx.state.capability === 'string' ? ctx.state.capability : defaultCapability;
  const problem = problemFor(err, named);
  const meta = { request_id: ctx.state.requestId, status: problem.status, path: ctx.path, err: describe(err) };
  // An outage is expected to pass; the cause (with its addresses) stays in the log.
  if (problem.status === 503 || classifyOutage(err)) {
    logger.warn('dependency unavailable', { ...meta, capability: named, detail: problem.detail });
  } else if (problem.status >= 500) {
    logger.error('request failed', { ...meta, detail: problem.detail });
  }
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = 'application/problem+json';
  ctx.body = problem.toBody(ctx.path);
}

function describe(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const cause = err.cause instanceof Error ? { message: err.cause.message, stack: err.cause.stack } : err.cause;
  return { message: err.message, stack: err.stack, ...(cause !== undefined && { cause }) };
}
