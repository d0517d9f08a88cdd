/** Wires the gateway together from its configuration and serves it. */
import {
  accessTokenVerifierFromConfig,
  createLogger,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarGrpcClient,
} from '@meshmart/kit';
import { LinksServiceClient } from '@meshmart/proto/links/v1/links';
import { QRServiceClient } from '@meshmart/proto/qr/v1/qr';
import { RecommendationsServiceClient } from '@meshmart/proto/recommendations/v1/recommendations';
import { createGatewayApp } from './app.ts';
import type { GatewayConfig } from './config.ts';
import { tokenRejections } from './metrics.ts';
import { FixedWindowLimiter } from './rate-limit.ts';

/** 1% of a budget, taken from the shared counter per store round trip (rate-limit.ts). */
const leaseOf = (max: number) => Math.max(1, Math.floor(max / 100));

export async function startGateway(config: GatewayConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const daprApiToken = config.DAPR_API_TOKEN;
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
  // Rate-limit state calls get their own, much shorter timeout.
  const counterStore = sidecar.withTimeout(config.RATE_LIMIT_STORE_TIMEOUT_MS);

  const verifier = accessTokenVerifierFromConfig(config, (reason) => tokenRejections.inc({ reason }));
  const window = { windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS };
  const limiter = new FixedWindowLimiter({
    store: counterStore,
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
  });
  const grpcTarget = { daprGrpcPort: config.DAPR_GRPC_PORT, daprApiToken };

  const gateway = createGatewayApp({
    logger,
    sidecar,
    verifier,
    limiter,
    bodyLimits: { default: config.BODY_LIMIT, batch: config.BATCH_BODY_LIMIT },
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    timeouts: { upstreamMs: config.UPSTREAM_TIMEOUT_MS, sagaMs: config.SAGA_TIMEOUT_MS },
    links: {
      client: sidecarGrpcClient(LinksServiceClient, 'links', grpcTarget),
      publicBaseUrl: config.PUBLIC_BASE_URL,
      unaryTimeoutMs: config.GRPC_TIMEOUT_MS,
      resolveTimeoutMs: config.RESOLVE_TIMEOUT_MS,
      heartbeatMs: config.SSE_HEARTBEAT_MS,
    },
    qr: {
      client: sidecarGrpcClient(QRServiceClient, 'qr', grpcTarget),
      unaryTimeoutMs: config.GRPC_TIMEOUT_MS,
      batchTimeoutMs: config.QR_BATCH_TIMEOUT_MS,
      heartbeatMs: config.SSE_HEARTBEAT_MS,
    },
    recommendations: {
      client: sidecarGrpcClient(RecommendationsServiceClient, 'recommendations', grpcTarget),
      unaryTimeoutMs: config.GRPC_TIMEOUT_MS,
    },
    traces: { queryUrl: config.JAEGER_QUERY_URL, uiUrl: config.JAEGER_UI_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS },
  });
  return serveService(gateway.app, config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: gateway.setDraining,
  });
}
