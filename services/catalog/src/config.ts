import { accessTokenConfigShape, env, loadConfig, serviceConfig } from '@meshmart/kit';
import type { z } from 'zod';

export const catalogConfigSchema = serviceConfig({
  PORT: env.port(8082),
  MONGO_URL: env.url(['mongodb']),
  BODY_LIMIT: env.size('64kb'),
  PUBSUB_NAME: env.string('pubsub'),
  ...accessTokenConfigShape,
  /** How long a reservation holds stock when Reserve asks for ttl_seconds 0. */
  RESERVATION_TTL_SECONDS: env.int(900, 1, 86_400),
  /** The longest hold a caller may ask for. */
  RESERVATION_MAX_TTL_SECONDS: env.int(86_400, 1, 7 * 86_400),
  /**
   * A replica moving stock for a reservation owns it this long; past that, another
   * replica's sweeper takes over and finishes or undoes the move.
   */
  RESERVATION_LEASE_MS: env.int(15_000, 1000, 600_000),
  /**
   * Settled reservations (committed, released, expired, failed) stay in the live
   * collections this long, then move to an archive read only for calls about them. Every
   * read of a FerretDB collection costs in proportion to its size, so this is short. At
   * least a minute, so no writer can still be acting on a revision the move deletes.
   */
  RESERVATION_RETENTION_MS: env.int(120_000, 60_000, 7 * 86_400_000),
  /** How often the sweeper looks for expired holds and abandoned moves. */
  SWEEP_INTERVAL_MS: env.int(1000, 50, 60_000),
  /** How often the relay looks for events not yet published (writes also wake it). */
  OUTBOX_POLL_MS: env.int(1000, 50, 60_000),
  /** Load the demo catalog into an empty database at start. */
  SEED_DEMO_CATALOG: env.bool(true),
});

export type CatalogConfig = z.infer<typeof catalogConfigSchema>;

export function loadCatalogConfig(source: NodeJS.ProcessEnv = process.env): CatalogConfig {
  return loadConfig(catalogConfigSchema, source);
}
