import { env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const recommendationsConfigSchema = serviceConfig('recommendations', {
  ...postgresConfigShape(),
  /** CloudEvents of orders with many lines are the largest bodies. */
  BODY_LIMIT: env.size('64kb'),
  /** Orders two products must share before "bought together" counts them as related. */
  MIN_SHARED_ORDERS: env.int(2, 1, 1000),
});
