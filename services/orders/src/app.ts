/**
 * orders assembled from its dependencies: the database, the sidecar, the token verifier
 * and the four outside parties of the saga. service.ts passes the real clients; the
 * integration tests pass scripted ones for the other services and the real database.
 */
import {
  type AccessTokenVerifier,
  createApp,
  finishApp,
  type Logger,
  migrate,
  mountSubscriptions,
  type OutboxRelay,
  type Sidecar,
  sidecarReadiness,
  startOutboxRelay,
} from '@meshmart/kit';
import type Koa from 'koa';
import type pg from 'pg';
import { type BuyerLookup, Checkout, type ProductCheck } from './checkout.ts';
import type { OrdersConfig } from './config.ts';
import { sagaMetrics } from './metrics.ts';
import { migrations } from './migrations.ts';
import { OrdersRepo } from './orders-repo.ts';
import { paymentSubscriptions } from './payment-events.ts';
import { type Recovery, startRecovery } from './recovery.ts';
import { mountRoutes } from './routes.ts';
import { Saga } from './saga.ts';
import type { Inventory, Payments } from './saga-ports.ts';
import { SagaRunner } from './saga-runner.ts';

export interface OrdersDeps {
  config: OrdersConfig;
  logger: Logger;
  pool: pg.Pool;
  sidecar: Sidecar;
  verifier: AccessTokenVerifier;
  users: BuyerLookup;
  catalog: ProductCheck;
  inventory: Inventory;
  payments: Payments;
}

export interface Orders {
  app: Koa;
  repo: OrdersRepo;
  recovery: Recovery;
  relay: OutboxRelay;
  setDraining(): void;
  /** Stops the loops and gives running sagas until `graceMs` to finish. */
  stop(graceMs: number): Promise<void>;
}

export async function createOrders(deps: OrdersDeps): Promise<Orders> {
  const { config, logger, pool, sidecar } = deps;
  const applied = await migrate(pool, migrations);
  if (applied.length) logger.info('migrations applied', { versions: applied });

  const repo = new OrdersRepo(pool, config.SAGA_LEASE_SECONDS);
  const saga = new Saga({
    store: repo,
    inventory: deps.inventory,
    payments: deps.payments,
    logger,
    observer: sagaMetrics,
    attempts: config.STEP_ATTEMPTS,
    contentionBudgetMs: config.STEP_CONTENTION_BUDGET_MS,
    reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
    heartbeatMs: (config.SAGA_LEASE_SECONDS * 1000) / 3,
  });
  const runner = new SagaRunner(saga);
  const checkout = new Checkout({
    repo,
    runner,
    users: deps.users,
    catalog: deps.catalog,
    observeStep: sagaMetrics.step,
    waitMs: config.CHECKOUT_WAIT_MS,
  });

  const service = createApp({
    service: 'orders',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'orders'),
    ],
  });
  mountRoutes(service.router, { checkout, repo, verifier: deps.verifier });
  const recovery = startRecovery({ repo, runner, logger, intervalMs: config.RECOVERY_INTERVAL_MS });
  mountSubscriptions(
    service.router,
    paymentSubscriptions(repo, logger, () => void recovery.runOnce().catch(() => {})),
    logger,
  );
  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });

  return {
    app: finishApp(service),
    repo,
    recovery,
    relay,
    setDraining: service.setDraining,
    async stop(graceMs) {
      await recovery.stop();
      await runner.drain(graceMs);
      await relay.stop();
    },
  };
}
