/** Wires catalog together: config, MongoDB, sidecar, REST and gRPC on one port, background loops. */
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
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
} from '@meshmart/kit';
import { InventoryServiceService } from '@meshmart/proto/catalog/v1/inventory';
import mongoose from 'mongoose';
import { adminGuard } from './admin.ts';
import type { CatalogConfig } from './config.ts';
import { Inventory } from './inventory.ts';
import { inventoryHandlers } from './inventory-grpc.ts';
import { type CatalogModels, catalogModels, ensureIndexes } from './models.ts';
import { ProductOutboxRelay } from './outbox-relay.ts';
import { type Loop, startLoop } from './periodic.ts';
import { Products } from './products.ts';
import { mountRoutes } from './routes.ts';
import { seedDemoCatalog } from './seed.ts';
import { StockMoves } from './stock-moves.ts';
import { productStore, reservationStore } from './stores.ts';
import { orderCancelled } from './subscriptions.ts';
import { isDuplicateKey } from './versioned-store.ts';

/** Heads a race left one revision behind are repaired every this many sweeps, from revisions this recent. */
const RECONCILE_EVERY_SWEEPS = 5;
const RECONCILE_WINDOW_MS = 120_000;
/** Settled reservations are archived every this many sweeps. */
const ARCHIVE_EVERY_SWEEPS = 10;
/** Orphaned holds, old return markers and superseded revisions: every this many sweeps. */
const MAINTENANCE_EVERY_SWEEPS = 60;
/** Marks a database whose pending work is listed in the index collections. */
const LISTED_MARKER = 'index-collections-v1';

export interface CatalogHandle extends RunningServer {
  inventory: Inventory;
  /** Publishes pending events now (tests). */
  flushOutbox(): Promise<number>;
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
  await ensureIndexes(models);

  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });
  const verifier = options.accessTokens ?? accessTokenVerifierFromConfig(config);

  // The relay loop starts before anything can record an event, so writes can wake it.
  let relayLoop: Loop | undefined;
  const products = productStore(models, logger, () => relayLoop?.nudge());
  const reservations = reservationStore(models, logger);
  await listPendingWork(models, [() => products.adoptUnlisted(), () => reservations.adoptUnlisted()]);
  const relay = new ProductOutboxRelay(products, sidecar, { pubsub: config.PUBSUB_NAME, logger });
  relayLoop = startLoop({ name: 'outbox relay', intervalMs: config.OUTBOX_POLL_MS, logger, run: () => relay.drain() });
  if (config.SEED_DEMO_CATALOG) await seedDemoCatalog(models, products, logger);
  // Heads left behind by a crash before this start are brought up to date first.
  await products.reconcile();
  await reservations.reconcile();

  const inventory = new Inventory(reservations, products, new StockMoves(products), {
    defaultTtlSeconds: config.RESERVATION_TTL_SECONDS,
    maxTtlSeconds: config.RESERVATION_MAX_TTL_SECONDS,
    leaseMs: config.RESERVATION_LEASE_MS,
    retentionMs: config.RESERVATION_RETENTION_MS,
    logger,
  });
  let sweeps = 0;
  const sweeper = startLoop({
    name: 'reservation sweeper',
    intervalMs: config.SWEEP_INTERVAL_MS,
    logger,
    run: async () => {
      sweeps++;
      await inventory.sweep();
      if (sweeps % RECONCILE_EVERY_SWEEPS === 0) {
        const since = new Date(Date.now() - RECONCILE_WINDOW_MS);
        await products.reconcile(since);
        await reservations.reconcile(since);
      }
      if (sweeps % MAINTENANCE_EVERY_SWEEPS === 0) {
        await inventory.repairOrphanHolds();
        await inventory.pruneReturnMarkers();
        await products.prune();
      }
      if (sweeps % ARCHIVE_EVERY_SWEEPS === 0) await inventory.archiveSettled();
    },
  });

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
  mountRoutes(service.router, { products: new Products(models, products), requireAdmin: adminGuard(verifier) });
  mountSubscriptions(service.router, [orderCancelled(inventory)], logger);
  const faults = await followFaultFlags({
    service: 'catalog',
    daprGrpcPort: config.DAPR_GRPC_PORT,
    daprApiToken: config.DAPR_API_TOKEN,
    logger,
  });
  const grpc = createGrpcServer({
    logger,
    appToken: config.APP_API_TOKEN,
    unavailable: () => faults.flags.isOn('catalog.unavailable'),
  });
  grpc.addService(InventoryServiceService, inventoryHandlers(inventory));

  const server = await serveService(finishApp(service), config, {
    logger,
    grpcServer: grpc.server,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => faults.stop(), () => relayLoop?.stop(), () => sweeper.stop(), () => connection.close()],
  });
  return { ...server, inventory, flushOutbox: () => relay.drain() };
}

/**
 * A database written before the index collections existed has its unpublished events,
 * superseded revisions and open reservations listed once, at the first start that knows them.
 */
async function listPendingWork(models: CatalogModels, adopt: Array<() => Promise<void>>): Promise<void> {
  if (await models.meta.exists({ _id: LISTED_MARKER })) return;
  for (const run of adopt) await run();
  await models.meta.collection.insertOne({ _id: LISTED_MARKER, at: new Date() } as never).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err;
  });
}
