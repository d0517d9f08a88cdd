/**
 * orders declared: its database, the checkout saga and its recovery loop, payment events
 * and the outbox. Its dependencies are the four outside parties of the saga (users and
 * inventory over gRPC, catalog's prices and payments over HTTP); the integration tests
 * replace them with scripted ones.
 */
import { defineService } from '@meshmart/kit';
import { InventoryServiceClient } from '@meshmart/proto/inventory/v1/inventory';
import { UsersInternalServiceClient } from '@meshmart/proto/users/v1/users';
import { type BuyerLookup, Checkout, type Pricing } from './checkout.ts';
import { ordersConfigSchema } from './config.ts';
import { StockAndPrices } from './inventory-client.ts';
import { sagaMetrics } from './metrics.ts';
import { migrations } from './migrations.ts';
import { OrdersRepo } from './orders-store.ts';
import { PaymentsClient } from './payments-client.ts';
import { startRecovery } from './recovery.ts';
import { mountRoutes } from './routes.ts';
import { Saga } from './saga.ts';
import type { Inventory, Payments } from './saga-ports.ts';
import { SagaRunner } from './saga-runner.ts';
import { paymentSubscriptions } from './subscriptions.ts';
import { UsersDirectory } from './users-client.ts';

interface SagaParties {
  users: BuyerLookup;
  catalog: Pricing;
  inventory: Inventory;
  payments: Payments;
}

export const service = defineService({
  name: 'orders',
  config: ordersConfigSchema,
  postgres: { migrations },
  dependencies: ({ config, sidecar, grpcClient }): SagaParties => {
    const inventory = new StockAndPrices(grpcClient(InventoryServiceClient, 'inventory'), sidecar, {
      lookupMs: config.LOOKUP_TIMEOUT_MS,
      stockMoveMs: config.INVENTORY_TIMEOUT_MS,
    });
    return {
      users: new UsersDirectory(grpcClient(UsersInternalServiceClient, 'users'), config.LOOKUP_TIMEOUT_MS),
      catalog: inventory,
      inventory,
      payments: new PaymentsClient(sidecar, config.PAYMENTS_TIMEOUT_MS),
    };
  },
  compose: ({ config, logger, pool, deps, accessTokens }) => {
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
    const recovery = startRecovery({ repo, runner, logger, intervalMs: config.RECOVERY_INTERVAL_MS });
    return {
      routes: (router) => mountRoutes(router, { checkout, repo, verifier: accessTokens() }),
      subscriptions: paymentSubscriptions(repo, logger, () => void recovery.runOnce().catch(() => {})),
      // Running sagas get the grace period to finish before the outbox relay and the pool stop.
      shutdown: [() => recovery.stop(), () => runner.drain(config.SHUTDOWN_GRACE_MS)],
      handle: { repo, recovery },
    };
  },
});
