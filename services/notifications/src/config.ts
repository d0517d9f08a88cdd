import { accessTokenConfigShape, env, postgresConfigShape, serviceConfig } from '@meshmart/kit';
import { businessRetryBounds } from '@meshmart/kit/deployment/retries';
import { z } from 'zod';

export const notificationsConfigSchema = serviceConfig('notifications', {
  ...postgresConfigShape(),
  /** CloudEvents of orders with many lines are the largest bodies. */
  BODY_LIMIT: env.size('64kb'),
  /** Where operator alerts (inventory.low_stock) are mailed. */
  OPS_EMAIL: z.email().default('ops@meshmart.local'),
  /** Dapr component name of the SMTP output binding. */
  SMTP_BINDING: env.string('smtp'),
  EMAIL_SEND_TIMEOUT_MS: env.int(10_000, 100, 120_000),
  /** How often pending e-mails whose send failed are tried again. */
  EMAIL_RETRY_POLL_MS: env.int(2000, 50, 600_000),
  EMAIL_MAX_BACKOFF_MS: env.int(600_000, 1000, 86_400_000),
  /** With the default backoff, 20 attempts span about 2.5 hours before an e-mail is marked failed. */
  EMAIL_MAX_ATTEMPTS: env.int(businessRetryBounds.emailMaxAttempts, 1, 1000),
  ...accessTokenConfigShape,
});
