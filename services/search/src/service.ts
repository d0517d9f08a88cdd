/** search declared: its database, event subscriptions, REST routes and rebuilds from catalog. */
import { defineService } from '@meshmart/kit';
import { searchConfigSchema } from './config.ts';
import { IndexWriter } from './index-writer.ts';
import { migrations } from './migrations.ts';
import { Rebuilds } from './rebuild.ts';
import { mountRoutes } from './routes.ts';
import { searchSubscriptions } from './subscriptions.ts';

export const service = defineService({
  name: 'search',
  config: searchConfigSchema,
  postgres: { migrations },
  compose: ({ config, logger, pool, sidecar, accessTokens }) => {
    const writer = new IndexWriter(pool);
    const rebuilds = new Rebuilds({
      pool,
      writer,
      sidecar,
      logger,
      pageSize: config.REBUILD_PAGE_SIZE,
      catalogTimeoutMs: config.CATALOG_TIMEOUT_MS,
      staleMs: config.REBUILD_STALE_MS,
    });
    return {
      // users' JWKS through our own sidecar: the search → users edge of the topology.
      routes: (router) => mountRoutes(router, { pool, rebuilds, verifier: accessTokens() }),
      subscriptions: searchSubscriptions(writer),
    };
  },
});
