/** Wires inventory together: config, PostgreSQL, sidecar, REST and gRPC on one port, sweeper and outbox relay. */
import {
  type AccessTokenVerifier,
  accessTokenVerifierFromConfig,
  createApp,
  createGrpcServer,
  createLogger,
  finishApp,
  followFaultFlags,
  initMetrics,
  mountSubscriptions,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
  startOutboxRelay,
} from '@meshmart/kit';
import { InventoryServiceService } from '@meshmart/proto/inventory/v1/inventory';
import type pg from 'pg';
import type { InventoryConfig } from './config.ts';
import { DEMO_STOCK_MARKER, demoStock } from './demo-stock.ts';
import { inventoryHandlers } from './grpc-handlers.ts';
import { Ledger } from './ledger.ts';
import { migrations } from './migrations.ts';
import { adminGuard, mountRoutes } from './routes.ts';
import { orderCancelled, productEvents } from './subscriptions.ts';
import { startSweeper } from './sweeper.ts';

export interface InventoryHandle extends RunningServer {
  ledger: Ledger;
  pool: pg.Pool;
  /** Publishes pending events now (tests). */
  flushOutbox(): Promise<number>;
}

export interface StartOptions {
  handleSignals?: boolean;
  /** Verifies admin tokens; by default against users' JWKS through the sidecar. */
  accessTokens?: AccessTokenVerifier;
}

export async function startInventory(config: InventoryConfig, options: StartOptions = {}): Promise<InventoryHandle> {
  const logger = createLogger('inventory', config.LOG_LEVEL);
  initMetrics('inventory');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger, config.DB_POOL_MAX);
  const ledger = new Ledger(pool, {
    defaultTtlSeconds: config.RESERVATION_TTL_SECONDS,
    maxTtlSeconds: config.RESERVATION_MAX_TTL_SECONDS,
    defaultLowStockThreshold: config.DEFAULT_LOW_STOCK_THRESHOLD,
  });
  if (config.SEED_DEMO_STOCK) {
    const seeded = await ledger.seed(DEMO_STOCK_MARKER, [...demoStock]);
    if (seeded > 0) logger.info('demo stock loaded', { products: seeded });
  }

  const sidecar = new Sidecar({
    daprHttpPort: config.DAPR_HTTP_PORT,
    daprGrpcPort: config.DAPR_GRPC_PORT,
    daprApiToken: config.DAPR_API_TOKEN,
  });
  const verifier = options.accessTokens ?? accessTokenVerifierFromConfig(config);
  const service = createApp({
    service: 'inventory',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'inventory'),
    ],
  });
  mountRoutes(service.router, ledger, adminGuard(verifier));
  mountSubscriptions(service.router, [orderCancelled(ledger), ...productEvents(ledger)], logger);
  const faults = await followFaultFlags({
    service: 'inventory',
    sidecar,
    logger,
  });
  const grpc = createGrpcServer({
    logger,
    appToken: config.APP_API_TOKEN,
    unavailable: () => faults.flags.isOn('inventory.unavailable'),
  });
  grpc.addService(InventoryServiceService, inventoryHandlers(ledger));

  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });
  const sweeper = startSweeper(ledger, { intervalMs: config.SWEEP_INTERVAL_MS, batch: config.SWEEP_BATCH, logger });
  const server = await serveService(finishApp(service), config, {
    logger,
    grpcServer: grpc.server,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => faults.stop(), () => sweeper.stop(), () => relay.stop(), () => pool.end()],
  });
  return { ...server, ledger, pool, flushOutbox: () => relay.flush() };
}
