/** notifications declared: its database, subscriptions, REST routes and the e-mail sender. */
import { BindingError, defineService } from '@meshmart/kit';
import { notificationsConfigSchema } from './config.ts';
import { EmailSender } from './email-sender.ts';
import { migrations } from './migrations.ts';
import { NotificationStore } from './notifications-store.ts';
import { mountRoutes } from './routes.ts';
import { notificationSubscriptions } from './subscriptions.ts';

export const service = defineService({
  name: 'notifications',
  config: notificationsConfigSchema,
  postgres: { migrations },
  compose: ({ config, logger, pool, faults, sidecarWith, accessTokens }) => {
    const smtp = sidecarWith(config.EMAIL_SEND_TIMEOUT_MS);
    const store = new NotificationStore(pool);
    const sender = new EmailSender({
      pool,
      bindings: {
        // The flag fails the send where the relay would, so the retry loop and its metrics react as they would to SMTP.
        invokeBinding: (name, request) =>
          faults.isOn('notifications.smtp-failure')
            ? Promise.reject(new BindingError(`binding ${name} failed: notifications.smtp-failure is set`))
            : smtp.invokeBinding(name, request),
      },
      bindingName: config.SMTP_BINDING,
      logger,
      maxAttempts: config.EMAIL_MAX_ATTEMPTS,
      pollMs: config.EMAIL_RETRY_POLL_MS,
      maxBackoffMs: config.EMAIL_MAX_BACKOFF_MS,
    });
    sender.start();
    return {
      // users' JWKS through our own sidecar: the notifications → users edge of the topology.
      routes: (router) => mountRoutes(router, store, accessTokens()),
      subscriptions: notificationSubscriptions({ store, sender, opsEmail: config.OPS_EMAIL, logger }),
      shutdown: [() => sender.stop()],
    };
  },
});
