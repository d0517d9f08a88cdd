/** Wires analytics to the real world: PostgreSQL, its sidecar, and users' JWKS through that sidecar. */
import {
  accessTokenVerifierFromConfig,
  createLogger,
  createPool,
  initMetrics,
  type RunningServer,
  Sidecar,
  serveService,
} from '@meshmart/kit';
import { createAnalytics } from './app.ts';
import type { AnalyticsConfig } from './config.ts';

export async function startAnalytics(config: AnalyticsConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('analytics', config.LOG_LEVEL);
  initMetrics('analytics');
  const pool = createPool(config.DATABASE_URL, config.DB_POOL_MAX);
  // The sidecar is used for the report cache only, so its deadline is the cache's.
  const sidecar = new Sidecar({
    daprHttpPort: config.DAPR_HTTP_PORT,
    daprApiToken: config.DAPR_API_TOKEN,
    timeoutMs: config.STATE_TIMEOUT_MS,
  });
  const analytics = await createAnalytics({
    config,
    logger,
    pool,
    sidecar,
    // users' JWKS through our own sidecar: the analytics → users edge of the topology.
    verifier: accessTokenVerifierFromConfig(config),
  });
  return serveService(analytics.app, config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: analytics.setDraining,
    onShutdown: [() => pool.end()],
  });
}
