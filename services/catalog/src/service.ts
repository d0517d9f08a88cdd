/** Wires catalog together: config, MongoDB, sidecar, REST routes, the stock subscription and the event relay. */
import {
  type AccessTokenVerifier,
  accessTokenVerifierFromConfig,
  createApp,
  createLogger,
  finishApp,
  initMetrics,
  mountSubscriptions,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
} from '@meshmart/kit';
import mongoose from 'mongoose';
import { adminGuard } from './admin.ts';
import type { CatalogConfig } from './config.ts';
import { startEventRelay } from './event-relay.ts';
import { migrateRevisionLayout } from './layout-migration.ts';
import { catalogModels, ensureIndexes } from './models.ts';
import { OneAtATime } from './one-at-a-time.ts';
import { Products } from './products.ts';
import { mountRoutes } from './routes.ts';
import { seedDemoCatalog } from './seed.ts';
import { stockChanged } from './subscriptions.ts';

export interface CatalogHandle extends RunningServer {
  /** Publishes pending events now (tests). */
  flushEvents(): Promise<number>;
}

export interface StartOptions {
  handleSignals?: boolean;
  /** Verifies admin tokens; by default against users' JWKS through the sidecar. */
  accessTokens?: AccessTokenVerifier;
}

export async function startCatalog(config: CatalogConfig, options: StartOptions = {}): Promise<CatalogHandle> {
  const logger = createLogger('catalog', config.LOG_LEVEL);
  initMetrics('catalog');
  const connection = await mongoose
    .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 10_000, autoIndex: false })
    .asPromise();
  const models = catalogModels(connection);
  await migrateRevisionLayout(connection, models, logger);
  await ensureIndexes(models);
  if (config.SEED_DEMO_CATALOG) await seedDemoCatalog(models, logger);

  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });
  const verifier = options.accessTokens ?? accessTokenVerifierFromConfig(config);
  const serially = new OneAtATime();
  const relay = startEventRelay(models, sidecar, { serially, pubsub: config.PUBSUB_NAME, pollMs: config.OUTBOX_POLL_MS, logger });
  const products = new Products(models, serially, () => relay.nudge());

  const service = createApp({
    service: 'catalog',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      {
        name: 'mongodb',
        check: async () => {
          if (!connection.db) throw new Error('not connected');
          await connection.db.admin().ping();
        },
      },
      ...sidecarReadiness(sidecar, 'catalog'),
    ],
  });
  mountRoutes(service.router, { products, requireAdmin: adminGuard(verifier) });
  mountSubscriptions(service.router, [stockChanged(products)], logger);

  const server = await serveService(finishApp(service), config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => relay.stop(), () => connection.close()],
  });
  return { ...server, flushEvents: () => relay.flush() };
}
