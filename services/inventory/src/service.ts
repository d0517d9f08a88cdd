/** inventory declared: its database, REST and gRPC on one port, stock subscriptions, the sweeper and the outbox. */
import { defineService } from '@meshmart/kit';
import { InventoryServiceService } from '@meshmart/proto/inventory/v1/inventory';
import { inventoryConfigSchema } from './config.ts';
import { DEMO_STOCK_MARKER, demoStock } from './demo-stock.ts';
import { inventoryHandlers } from './grpc.ts';
import { Ledger } from './ledger.ts';
import { migrations } from './migrations.ts';
import { mountRoutes } from './routes.ts';
import { orderCancelled, productEvents } from './subscriptions.ts';
import { startSweeper } from './sweeper.ts';

export const service = defineService({
  name: 'inventory',
  config: inventoryConfigSchema,
  postgres: { migrations },
  compose: async ({ config, logger, pool, faults, accessTokens }) => {
    const ledger = new Ledger(pool, {
      defaultTtlSeconds: config.RESERVATION_TTL_SECONDS,
      maxTtlSeconds: config.RESERVATION_MAX_TTL_SECONDS,
      defaultLowStockThreshold: config.DEFAULT_LOW_STOCK_THRESHOLD,
    });
    if (config.SEED_DEMO_STOCK) {
      const seeded = await ledger.seed(DEMO_STOCK_MARKER, [...demoStock]);
      if (seeded > 0) logger.info('demo stock loaded', { products: seeded });
    }
    const sweeper = startSweeper(ledger, { intervalMs: config.SWEEP_INTERVAL_MS, batch: config.SWEEP_BATCH, logger });
    return {
      routes: (router) => mountRoutes(router, ledger, accessTokens()),
      subscriptions: [orderCancelled(ledger), ...productEvents(ledger)],
      grpc: [{ definition: InventoryServiceService, handlers: inventoryHandlers(ledger, faults) }],
      grpcUnavailable: () => faults.isOn('inventory.unavailable'),
      shutdown: [() => sweeper.stop()],
      handle: { ledger, pool },
    };
  },
});
