import { env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const paymentsConfigSchema = serviceConfig('payments', {
  ...postgresConfigShape(),
  BODY_LIMIT: env.size('8kb'),
  /** How long the slow test card (4000000000000077) keeps the processor busy before approving. */
  SLOW_CARD_DELAY_MS: env.int(3000, 0, 60_000),
  /**
   * How long a request may work on an idempotency key before a repeat may take it over;
   * far above the slowest processor answer, so only a crashed request loses its key.
   */
  IDEMPOTENCY_LEASE_MS: env.int(30_000, 1000, 600_000),
  /** How long a repeat waits for the first request with its key before answering 409. */
  IDEMPOTENCY_WAIT_MS: env.int(10_000, 0, 120_000),
});
