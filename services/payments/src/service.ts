/** payments declared: its database, REST routes, the simulated processor and the outbox. */
import { defineService } from '@meshmart/kit';
import { paymentsConfigSchema } from './config.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { migrations } from './migrations.ts';
import { Payments } from './payments-store.ts';
import { Processor } from './processor.ts';
import { mountRoutes } from './routes.ts';

export const service = defineService({
  name: 'payments',
  config: paymentsConfigSchema,
  postgres: { migrations },
  compose: ({ config, pool, faults }) => {
    const keys = new IdempotencyKeys(pool, { leaseMs: config.IDEMPOTENCY_LEASE_MS, waitMs: config.IDEMPOTENCY_WAIT_MS });
    const payments = new Payments(pool, keys, new Processor(config.SLOW_CARD_DELAY_MS, faults), faults);
    return { routes: (router) => mountRoutes(router, payments), subscriptions: [] };
  },
});
