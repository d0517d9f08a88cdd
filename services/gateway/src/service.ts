/** The gateway declared: the single entry from the ingress, its route table, rate limits and the callees' clients. */
import { defineService } from '@meshmart/kit';
import { LinksServiceClient } from '@meshmart/proto/links/v1/links';
import { QRServiceClient } from '@meshmart/proto/qr/v1/qr';
import { RecommendationsServiceClient } from '@meshmart/proto/recommendations/v1/recommendations';
import { gatewayConfigSchema } from './config.ts';
import type { LinksDeps } from './links.ts';
import { tokenRejections } from './metrics.ts';
import type { QrDeps } from './qr.ts';
import { FixedWindowLimiter } from './rate-limit.ts';
import type { RecommendationsDeps } from './recommendations.ts';
import { gatewayBodyLimit, gatewayParts } from './routing.ts';

/** 1% of a budget, taken from the shared counter per store round trip (rate-limit.ts). */
const leaseOf = (max: number) => Math.max(1, Math.floor(max / 100));

interface Callees {
  limiter: FixedWindowLimiter;
  links: LinksDeps;
  qr: QrDeps;
  recommendations: RecommendationsDeps;
}

export const service = defineService({
  name: 'gateway',
  config: gatewayConfigSchema,
  ingress: true,
  sidecarTimeoutMs: (config) => config.UPSTREAM_TIMEOUT_MS,
  bodyLimit: (config) => gatewayBodyLimit({ default: config.BODY_LIMIT, batch: config.BATCH_BODY_LIMIT }),
  dependencies: ({ config, sidecarWith, grpcClient }): Callees => {
    const window = { windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS };
    return {
      limiter: new FixedWindowLimiter({
        // Rate-limit state calls get their own, much shorter timeout.
        store: sidecarWith(config.RATE_LIMIT_STORE_TIMEOUT_MS),
        storeName: config.STATE_STORE,
        policies: {
          // Credential guessing is the threat here: every attempt is counted in the store.
          auth: { ...window, max: config.RATE_LIMIT_AUTH_MAX },
          // API calls and redirects: a replica takes 1% of a client's budget per store round
          // trip and grants it locally, so most requests do not wait for the store (two calls
          // through the sidecar to Redis otherwise, on every request).
          api: { ...window, max: config.RATE_LIMIT_API_MAX, lease: leaseOf(config.RATE_LIMIT_API_MAX) },
          redirect: { ...window, max: config.RATE_LIMIT_REDIRECT_MAX, lease: leaseOf(config.RATE_LIMIT_REDIRECT_MAX) },
        },
      }),
      links: {
        client: grpcClient(LinksServiceClient, 'links'),
        publicBaseUrl: config.PUBLIC_BASE_URL,
        unaryTimeoutMs: config.GRPC_TIMEOUT_MS,
        resolveTimeoutMs: config.RESOLVE_TIMEOUT_MS,
        heartbeatMs: config.SSE_HEARTBEAT_MS,
      },
      qr: {
        client: grpcClient(QRServiceClient, 'qr'),
        unaryTimeoutMs: config.GRPC_TIMEOUT_MS,
        batchTimeoutMs: config.QR_BATCH_TIMEOUT_MS,
        heartbeatMs: config.SSE_HEARTBEAT_MS,
      },
      recommendations: {
        client: grpcClient(RecommendationsServiceClient, 'recommendations'),
        unaryTimeoutMs: config.GRPC_TIMEOUT_MS,
      },
    };
  },
  compose: ({ config, logger, sidecar, deps, accessTokens }) =>
    gatewayParts({
      logger,
      sidecar,
      verifier: accessTokens((reason) => tokenRejections.inc({ reason })),
      ...deps,
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
      timeouts: { upstreamMs: config.UPSTREAM_TIMEOUT_MS, sagaMs: config.SAGA_TIMEOUT_MS },
      traces: { queryUrl: config.JAEGER_QUERY_URL, uiUrl: config.JAEGER_UI_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS },
    }),
});
