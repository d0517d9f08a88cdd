import { accessTokenConfigShape, env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const searchConfigSchema = serviceConfig('search', {
  ...postgresConfigShape(),
  BODY_LIMIT: env.size('64kb'),
  /** Each page a rebuild reads from catalog; catalog serves at most 100. */
  REBUILD_PAGE_SIZE: env.int(100, 1, 100),
  CATALOG_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /** A rebuild whose progress has not moved for this long is taken as abandoned (its instance died). */
  REBUILD_STALE_MS: env.int(60_000, 1000, 3_600_000),
  ...accessTokenConfigShape,
});
