import { env, loadConfig, postgresConfigShape, serviceConfig } from '@meshmart/kit';
import type { z } from 'zod';

export const recommendationsConfigSchema = serviceConfig('recommendations', {
  ...postgresConfigShape(),
  /** CloudEvents of orders with many lines are the largest bodies. */
  BODY_LIMIT: env.size('64kb'),
  /** Orders two products must share before "bought together" counts them as related. */
  MIN_SHARED_ORDERS: env.int(2, 1, 1000),
});

export type RecommendationsConfig = z.infer<typeof recommendationsConfigSchema>;

export function loadRecommendationsConfig(source: NodeJS.ProcessEnv = process.env): RecommendationsConfig {
  return loadConfig(recommendationsConfigSchema, source);
}
