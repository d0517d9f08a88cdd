/** analytics settings on top of the shared ones (docs/CONTRACTS.md). Only DATABASE_URL has no default. */
import { accessTokenConfigShape, env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const analyticsConfigSchema = serviceConfig('analytics', {
  /** Bursts of clicks arrive as concurrent deliveries; each holds a connection for one statement. */
  ...postgresConfigShape(20),
  /** CloudEvents of orders with many lines are the largest bodies. */
  BODY_LIMIT: env.size('64kb'),
  ...accessTokenConfigShape,
  /** Dapr state store caching summary and dashboard answers. */
  STATE_STORE: env.string('statestore'),
  /** How long a cached report is served; short, so new events show within seconds. 0 turns the cache off. */
  REPORT_CACHE_TTL_SECONDS: env.int(2, 0, 3600),
  /**
   * Deadline of a state store call. A cache that answers slower than computing the report
   * is no cache: past this the report is computed.
   */
  STATE_TIMEOUT_MS: env.int(300, 20, 10_000),
  /** Entries in the dashboard's top links and top products. */
  TOP_LIMIT: env.int(10, 1, 100),
});
