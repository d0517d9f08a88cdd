/**
 * orders settings on top of the shared ones (docs/CONTRACTS.md). Only DATABASE_URL has
 * no default. The timing settings bound how long a checkout may hold the caller and how
 * soon an interrupted saga is taken over.
 */
import { accessTokenConfigShape, env, postgresConfigShape, serviceConfig } from '@meshmart/kit';
import { businessRetryBounds } from '@meshmart/kit/deployment/retries';

export const ordersConfigSchema = serviceConfig('orders', {
  ...postgresConfigShape(20),
  BODY_LIMIT: env.size('16kb'),
  ...accessTokenConfigShape,
  /** Deadline of the lookups before a checkout (GetUser, catalog's prices) and of a price read in the saga. */
  LOOKUP_TIMEOUT_MS: env.int(3000, 100, 60_000),
  /**
   * Deadline of Reserve, Commit and Release. Longer: under a rush on one product inventory
   * serialises stock moves, and a retry after a deadline only adds to the queue.
   */
  INVENTORY_TIMEOUT_MS: env.int(15_000, 100, 60_000),
  /** Time a charge or refund may take; above the slowest test card (3 s). */
  PAYMENTS_TIMEOUT_MS: env.int(10_000, 500, 120_000),
  /** Tries per saga step against a dependency that is down or slow, with backoff in between. */
  STEP_ATTEMPTS: env.int(businessRetryBounds.sagaStepAttempts, 1, 10),
  /** How long a step keeps retrying a dependency that answers "busy" (gRPC ABORTED) before giving up on it. */
  STEP_CONTENTION_BUDGET_MS: env.int(businessRetryBounds.sagaContentionBudgetMs, 0, 120_000),
  /** Hold placed on stock by a checkout; must outlast the payment step. */
  RESERVATION_TTL_SECONDS: env.int(600, 30, 86_400),
  /**
   * A running saga renews its lease a few times within this span; an order whose lease ran
   * out belongs to a process that died and is taken over by the recovery loop.
   */
  SAGA_LEASE_SECONDS: env.int(15, 2, 600),
  RECOVERY_INTERVAL_MS: env.int(5000, 100, 600_000),
  /** How long POST /orders waits for the saga before answering 202 with the pending order. */
  CHECKOUT_WAIT_MS: env.int(25_000, 100, 120_000),
});
