/** Wires search together: config, database, sidecar, event subscriptions, REST and rebuilds. */
import {
  accessTokenVerifierFromConfig,
  createApp,
  createLogger,
  finishApp,
  initMetrics,
  mountSubscriptions,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
} from '@meshmart/kit';
import type { SearchConfig } from './config.ts';
import { IndexWriter } from './index-writer.ts';
import { migrations } from './migrations.ts';
import { Rebuilds } from './rebuild.ts';
import { mountRoutes } from './routes.ts';
import { searchSubscriptions } from './subscriptions.ts';

export async function startSearch(config: SearchConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('search', config.LOG_LEVEL);
  initMetrics('search');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger);
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });
  // users' JWKS through our own sidecar: the search → users edge of the topology.
  const verifier = accessTokenVerifierFromConfig(config);
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

  const service = createApp({
    service: 'search',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'search'),
    ],
  });
  mountRoutes(service.router, { pool, rebuilds, verifier });
  mountSubscriptions(service.router, searchSubscriptions(writer), logger);

  return serveService(finishApp(service), config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => pool.end()],
  });
}
