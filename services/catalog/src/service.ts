/** catalog declared: MongoDB, REST routes, the stock subscription and the relay of product events. */
import { defineService } from '@meshmart/kit';
import mongoose from 'mongoose';
import { catalogConfigSchema } from './config.ts';
import { startEventRelay } from './event-relay.ts';
import { migrateRevisionLayout } from './layout-migration.ts';
import { catalogModels, ensureIndexes } from './models.ts';
import { OneAtATime } from './one-at-a-time.ts';
import { Products } from './products.ts';
import { mountRoutes } from './routes.ts';
import { seedDemoCatalog } from './seed.ts';
import { stockChanged } from './subscriptions.ts';

export const service = defineService({
  name: 'catalog',
  config: catalogConfigSchema,
  compose: async ({ config, logger, sidecar, accessTokens }) => {
    const connection = await mongoose
      .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 10_000, autoIndex: false })
      .asPromise();
    const models = catalogModels(connection);
    await migrateRevisionLayout(connection, models, logger);
    await ensureIndexes(models);
    if (config.SEED_DEMO_CATALOG) await seedDemoCatalog(models, logger);

    const serially = new OneAtATime();
    const relay = startEventRelay(models, sidecar, {
      serially,
      pubsub: config.PUBSUB_NAME,
      pollMs: config.OUTBOX_POLL_MS,
      logger,
    });
    const products = new Products(models, serially, () => relay.nudge());
    return {
      routes: (router) => mountRoutes(router, { products, verifier: accessTokens() }),
      subscriptions: [stockChanged(products)],
      readiness: [
        {
          name: 'mongodb',
          check: async () => {
            if (!connection.db) throw new Error('not connected');
            await connection.db.admin().ping();
          },
        },
      ],
      shutdown: [() => relay.stop(), () => connection.close()],
    };
  },
});
