/**
 * The gateway's parts, mounted from the route table: a header naming each response's
 * trace, a handler chain per route (capability, token, rate limit, role, handler) and the
 * web UI behind everything else. Ingress traffic does not come through Dapr, so the
 * declaration turns the kit's app-token check off; these routes guard themselves.
 */
import type Router from '@koa/router';
import type { RouterMiddleware } from '@koa/router';
import type { AccessTokenVerifier, ServiceParts } from '@meshmart/kit';
import { activeTraceId, capability, type Logger, type Sidecar } from '@meshmart/kit';
import type { Context } from 'koa';
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
  trustedProxyHops: number;
  /** Calls to services; `saga` is for routes that wait for a checkout or cancellation to end. */
  timeouts: { upstreamMs: number; sagaMs: number };
  links: LinksDeps;
  qr: QrDeps;
  recommendations: RecommendationsDeps;
  traces: TraceDeps;
}

type Step = RouterMiddleware<GatewayState>;

/** Routes marked `batch` take large bodies; the rest the default limit. */
export function gatewayBodyLimit(limits: { default: string; batch: string }): (ctx: Context) => string {
  const batchBodies = new Set(routes.filter((r) => r.bodyLimit === 'batch').map((r) => `${r.method} ${r.path}`));
  return (ctx) => (batchBodies.has(`${ctx.method} ${ctx.path}`) ? limits.batch : limits.default);
}

export function gatewayParts(deps: GatewayDeps): ServiceParts<object> {
  const { logger, sidecar, verifier, limiter, trustedProxyHops, timeouts } = deps;
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
      case 'openapi':
        return (ctx) => {
          ctx.body = openApi;
        };
      case 'docs':
        return docsHandler(route);
      case 'kit':
        return undefined;
    }
  }

  function mount(router: Router): void {
    for (const route of routes) {
      const handle = handler(route);
      if (!handle) continue;
      // First, so that a 503 from token verification names the route's capability too.
      const chain: Step[] = [capability(capabilityOf(route))];
      if (route.access !== 'public') chain.push(identify(verifier, { optional: route.access === 'optional' }));
      if (route.limit) chain.push(limit(route.limit, route.path));
      if (route.access !== 'public') chain.push(authorize(route.access));
      chain.push(handle);
      router.register(route.path, [route.method], chain);
      // A labelled gauge exports nothing until a label set is used; dashboards want a 0.
      if (route.success.contentType === 'text/event-stream') sseStreamsOpen.inc({ route: route.path }, 0);
    }
  }

  return {
    // Names the trace of every response, so that a page can show what the mesh did for it.
    middleware: [
      async (ctx, next) => {
        const traceId = activeTraceId();
        if (traceId) ctx.set('x-trace-id', traceId);
        await next();
      },
    ],
    routes: mount,
    // Last: only what no route answered goes to the web UI.
    fallback: webPassthrough(sidecar, timeouts.upstreamMs),
  };
}
