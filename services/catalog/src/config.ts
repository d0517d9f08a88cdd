import { accessTokenConfigShape, env, serviceConfig } from '@meshmart/kit';

export const catalogConfigSchema = serviceConfig('catalog', {
  MONGO_URL: env.url(['mongodb']),
  BODY_LIMIT: env.size('64kb'),
  PUBSUB_NAME: env.string('pubsub'),
  ...accessTokenConfigShape,
  /** How often the relay looks for events not yet published (writes also wake it). */
  OUTBOX_POLL_MS: env.int(1000, 50, 60_000),
  /** Load the demo catalog into an empty database at start. */
  SEED_DEMO_CATALOG: env.bool(true),
});
