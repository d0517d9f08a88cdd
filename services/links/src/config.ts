import { env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const linksConfigSchema = serviceConfig('links', {
  ...postgresConfigShape(20),
  STATE_STORE: env.string('statestore'),
  /** How long a code's mapping stays in the state store after it was last filled. */
  CACHE_TTL_SECONDS: env.int(3600, 1, 7 * 24 * 3600),
  /** A state store slower than this is treated as down for that lookup: PostgreSQL answers. */
  CACHE_TIMEOUT_MS: env.int(250, 10, 10_000),
  /** How long a click waits for others to share its transaction while another click transaction runs (with none running it goes at once). */
  CLICK_BATCH_WINDOW_MS: env.int(2, 0, 1000),
  /** A batch this large commits at once, without waiting for the window. */
  CLICK_BATCH_MAX: env.int(256, 1, 10_000),
  /** Click transactions that may run at once (each holds a pool connection). */
  CLICK_COMMITS_IN_FLIGHT: env.int(4, 1, 64),
  /** Clicks kept in memory while PostgreSQL refuses them; beyond this they are dropped (logged, counted). */
  CLICK_BACKLOG_MAX: env.int(100_000, 0, 10_000_000),
  /** Pause between attempts to store the backlog. */
  CLICK_RETRY_MS: env.int(1000, 50, 60_000),
  /** Concurrent StreamClickStatistics calls per replica; more get RESOURCE_EXHAUSTED. */
  STREAM_MAX: env.int(500, 1, 100_000),
  /** Least time between two updates on one stream. */
  STREAM_MIN_INTERVAL_MS: env.int(250, 0, 60_000),
  /** An idle stream gets a reading this often, so proxies keep it open and the last-minute count decays. */
  STREAM_HEARTBEAT_MS: env.int(15_000, 100, 600_000),
  /** Most buckets one GetLinkStats may ask for (hourly over ~41 days, daily over ~2.7 years). */
  STATS_MAX_BUCKETS: env.int(1000, 1, 100_000),
});
