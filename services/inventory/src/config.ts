import { accessTokenConfigShape, env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const inventoryConfigSchema = serviceConfig('inventory', {
  ...postgresConfigShape(20),
  BODY_LIMIT: env.size('16kb'),
  ...accessTokenConfigShape,
  /** How long a reservation holds stock when Reserve asks for ttl_seconds 0. */
  RESERVATION_TTL_SECONDS: env.int(900, 1, 86_400),
  /** The longest hold a caller may ask for. */
  RESERVATION_MAX_TTL_SECONDS: env.int(86_400, 1, 7 * 86_400),
  /** How often expired holds are looked for and returned to stock. */
  SWEEP_INTERVAL_MS: env.int(1000, 50, 60_000),
  /** Expired reservations one sweep transaction returns at most. */
  SWEEP_BATCH: env.int(200, 1, 10_000),
  /** Threshold of a product whose stock row inventory creates itself (product.created, seed). */
  DEFAULT_LOW_STOCK_THRESHOLD: env.int(5, 0, 1_000_000),
  /** Load the stock of the demo catalog into an empty database at start. */
  SEED_DEMO_STOCK: env.bool(true),
});
