/**
 * analytics assembled from its dependencies: the database, the sidecar (state store and
 * readiness) and the token verifier. service.ts passes the real ones; the integration
 * tests pass a verifier with their own keys and a sidecar that is not there.
 */
import {
  type AccessTokenVerifier,
  createApp,
  finishApp,
  type Logger,
  migrate,
  mountSubscriptions,
  type Sidecar,
  sidecarReadiness,
} from '@meshmart/kit';
import type Koa from 'koa';
import type pg from 'pg';
import type { AnalyticsConfig } from './config.ts';
import { migrations } from './migrations.ts';
import { ReportCache } from './report-cache.ts';
import { Reports } from './reports.ts';
import { RollupStore } from './rollups.ts';
import { mountRoutes } from './routes.ts';
import { analyticsSubscriptions } from './subscriptions.ts';

export interface AnalyticsDeps {
  config: AnalyticsConfig;
  logger: Logger;
  pool: pg.Pool;
  sidecar: Pick<Sidecar, 'getState' | 'saveState' | 'deleteState' | 'outboundReady' | 'loadedComponents' | 'stateStoreReachable'>;
  verifier: AccessTokenVerifier;
}

export interface Analytics {
  app: Koa;
  setDraining(): void;
}

export async function createAnalytics(deps: AnalyticsDeps): Promise<Analytics> {
  const { config, logger, pool, sidecar } = deps;
  const applied = await migrate(pool, migrations);
  if (applied.length) logger.info('migrations applied', { versions: applied });

  const store = new RollupStore(pool);
  const cache = new ReportCache({
    state: sidecar,
    store: config.STATE_STORE,
    ttlSeconds: config.REPORT_CACHE_TTL_SECONDS,
    logger,
  });
  const reports = new Reports(store, cache, config.TOP_LIMIT);

  const service = createApp({
    service: 'analytics',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'analytics'),
    ],
  });
  mountRoutes(service.router, { store, reports, verifier: deps.verifier });
  // analytics reads every topic, so it is also where dead letters are counted.
  mountSubscriptions(service.router, analyticsSubscriptions(store, logger), logger, { consumeDeadLetters: true });
  return { app: finishApp(service), setDraining: service.setDraining };
}
