/** analytics declared: its database, every domain event, the reports and their cache in the state store. */
import { defineService, type Sidecar } from '@meshmart/kit';
import { analyticsConfigSchema } from './config.ts';
import { migrations } from './migrations.ts';
import { ReportCache } from './report-cache.ts';
import { Reports } from './reports.ts';
import { RollupStore } from './rollup-store.ts';
import { mountRoutes } from './routes.ts';
import { analyticsSubscriptions } from './subscriptions.ts';

export const service = defineService({
  name: 'analytics',
  config: analyticsConfigSchema,
  postgres: { migrations },
  // The sidecar is used for the report cache only, so its deadline is the cache's.
  sidecarTimeoutMs: (config) => config.STATE_TIMEOUT_MS,
  dependencies: ({ sidecar }): { reportState: Pick<Sidecar, 'getState' | 'saveState' | 'deleteState'> } => ({
    reportState: sidecar,
  }),
  compose: ({ config, logger, pool, deps, accessTokens }) => {
    const store = new RollupStore(pool);
    const cache = new ReportCache({
      state: deps.reportState,
      store: config.STATE_STORE,
      ttlSeconds: config.REPORT_CACHE_TTL_SECONDS,
      logger,
    });
    const reports = new Reports(store, cache, config.TOP_LIMIT);
    return {
      // users' JWKS through our own sidecar: the analytics → users edge of the topology.
      routes: (router) => mountRoutes(router, { store, reports, verifier: accessTokens() }),
      subscriptions: analyticsSubscriptions(store, logger),
      // analytics reads every topic, so it is also where dead letters are counted.
      subscriptionOptions: { consumeDeadLetters: true },
    };
  },
});
