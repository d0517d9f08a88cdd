/** Wires the gateway together from its configuration and serves it. */
import { accessTokenVerifierFromConfig, createLogger, type RunningServer, Sidecar, serveService } from '@meshmart/kit';
import { createGatewayApp } from './app.ts';
import type { GatewayConfig } from './config.ts';
import { tokenRejections } from './metrics.ts';
import { FixedWindowLimiter } from './rate-limit.ts';

export async function startGateway(config: GatewayConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const daprApiToken = config.DAPR_API_TOKEN;
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
  // A separate client so that rate-limit state calls get their own, much shorter timeout.
  const counterStore = new Sidecar({
    daprHttpPort: config.DAPR_HTTP_PORT,
    daprApiToken,
    timeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
  });

  const verifier = accessTokenVerifierFromConfig(config, (reason) => tokenRejections.inc({ reason }));
  const window = { windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS };
  const limiter = new FixedWindowLimiter({
    store: counterStore,
    storeName: config.STATE_STORE,
    policies: {
      auth: { ...window, max: config.RATE_LIMIT_AUTH_MAX },
      api: { ...window, max: config.RATE_LIMIT_API_MAX },
    },
  });

  const gateway = createGatewayApp({
    logger,
    sidecar,
    verifier,
    limiter,
    bodyLimit: config.BODY_LIMIT,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    timeouts: { upstreamMs: config.UPSTREAM_TIMEOUT_MS, sagaMs: config.SAGA_TIMEOUT_MS },
  });
  return serveService(gateway.app, config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: gateway.setDraining,
  });
}
