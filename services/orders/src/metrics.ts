/** orders' business metrics (names in docs/CONTRACTS.md). */
import { counter, histogram } from '@meshmart/kit';
import type { Order } from './order.ts';
import type { SagaObserver } from './saga.ts';

export const checkouts = counter('orders_checkouts_total', 'Checkouts that ended, by outcome: paid or the class of failure', [
  'outcome',
]);
export const revenue = counter('orders_revenue_minor_total', 'Paid order totals in minor units, by currency', ['currency']);
export const recoveries = counter(
  'orders_saga_recoveries_total',
  'Sagas taken over from a runner that died or deferred, by how the attempt ended',
  ['outcome'],
);
export const sagaStepSeconds = histogram(
  'orders_saga_step_seconds',
  'Time of each call a saga step makes to users, inventory, catalog or payments, retries counted separately',
  ['step'],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);

export const sagaMetrics: SagaObserver = {
  step: (step, seconds) => sagaStepSeconds.observe({ step }, seconds),
  settled: (order: Order) => {
    checkouts.inc({ outcome: order.status === 'paid' ? 'paid' : (order.failureClass ?? 'unknown') });
    if (order.status === 'paid' && order.currency) revenue.inc({ currency: order.currency }, order.totalMinor);
  },
};
