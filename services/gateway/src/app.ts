/**
 * The gateway's Koa app, mounted from the route table. Ingress traffic does not come
 * through Dapr, so the app-token check of the kit is off here; the gateway's own routes
 * are guarded by access tokens instead.
 */
import type { RouterMiddleware } from '@koa/router';
import type { AccessTokenVerifier } from '@meshmart/kit';
import { activeTraceId, capability, createApp, finishApp, type Logger, type Sidecar, sidecarReadiness } from '@meshmart/kit';
import type Koa from 'koa';
import packageJson from '../package.json' with { type: 'json' };
import { authorize, type GatewayState, identify } from './access-control.ts';
import { capabilityOf } from './capabilities.ts';
import { docsHandler } from './docs.ts';
import { forwardToService } from './forward.ts';
import { type LinksDeps, linksHandler } from './links.ts';
import { sseStreamsOpen } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { type QrDeps, qrHandler } from './qr.ts';
import type { FixedWindowLimiter } from './rate-limit.ts';
import { createRateLimiting } from './rate-limit-middleware.ts';
import { type RecommendationsDeps, recommendationsHandler } from './recommendations.ts';
import { type GatewayRoute, routes } from './routes.ts';
import { type TraceDeps, traceHandler } from './traces.ts';
import { webPassthrough } from './web.ts';

export interface GatewayDeps {
  logger: Logger;
  sidecar: Sidecar;
  verifier: AccessTokenVerifier;
  limiter: FixedWindowLimiter;
  /** `batch` is for routes marked so (large batch requests). */
  bodyLimits: { default: string; batch: string };
  trustedProxyHops: number;
  /** Calls to services; `saga` is for routes that wait for a checkout or cancellation to end. */
  timeouts: { upstreamMs: number; sagaMs: number };
  links: LinksDeps;
  qr: QrDeps;
  recommendations: RecommendationsDeps;
  traces: TraceDeps;
}

type Step = RouterMiddleware<GatewayState>;

export interface GatewayApp {
  app: Koa;
  setDraining(): void;
}

export function createGatewayApp(deps: GatewayDeps): GatewayApp {
  const { logger, sidecar, verifier, limiter, bodyLimits, trustedProxyHops, timeouts } = deps;
  const batchBodies = new Set(routes.filter((r) => r.bodyLimit === 'batch').map((r) => `${r.method} ${r.path}`));
  const service = createApp({
    service: 'gateway',
    logger,
    bodyLimit: (ctx) => (batchBodies.has(`${ctx.method} ${ctx.path}`) ? bodyLimits.batch : bodyLimits.default),
    appToken: undefined,
    readiness: sidecarReadiness(sidecar, 'gateway'),
  });
  // Names the trace of every response, so that a page can show what the mesh did for it.
  service.app.use(async (ctx, next) => {
    const traceId = activeTraceId();
    if (traceId) ctx.set('x-trace-id', traceId);
    await next();
  });
  const limit = createRateLimiting({ limiter, logger, trustedProxyHops });
  const openApi = buildOpenApi(routes, packageJson.version);

  function handler(route: GatewayRoute): Step | undefined {
    switch (route.target.kind) {
      case 'service': {
        const timeoutMs = route.timeout === 'saga' ? timeouts.sagaMs : timeouts.upstreamMs;
        return forwardToService(sidecar, route, { app: route.target.app, path: route.target.path, timeoutMs });
      }
      case 'links':
        return linksHandler(route.target.operation, route, deps.links);
      case 'qr':
        return qrHandler(route.target.operation, route, deps.qr);
      case 'recommendations':
        return recommendationsHandler(route.target.operation, route, deps.recommendations);
      case 'traces':
        return traceHandler(route, deps.traces);
      case 'docs':
        return docsHandler(route);
      case 'openapi':
        return (ctx) => {
          ctx.body = openApi;
        };
      case 'kit':
        return undefined;
    }
  }

  for (const route of routes) {
    const handle = handler(route);
    if (!handle) continue;
    // First, so that a 503 from token verification names the route's capability too.
    const chain: Step[] = [capability(capabilityOf(route))];
    if (route.access !== 'public') chain.push(identify(verifier, { optional: route.access === 'optional' }));
    if (route.limit) chain.push(limit(route.limit, route.path));
    if (route.access !== 'public') chain.push(authorize(route.access));
    chain.push(handle);
    service.router.register(route.path, [route.method], chain);
    // A labelled gauge exports nothing until a label set is used; dashboards want a 0.
    if (route.success.contentType === 'text/event-stream') sseStreamsOpen.inc({ route: route.path }, 0);
  }

  const app = finishApp(service);
  // Last: only what no route answered goes to the web UI.
  app.use(webPassthrough(sidecar, timeouts.upstreamMs));
  // Errors after the response began. A client leaving an event stream cuts Koa's body
  // pipeline short: that is how such streams end, not a failure.
  app.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    logger.error('response failed after it began', { err: err.message, stack: err.stack });
  });
  return { app, setDraining: service.setDraining };
}
