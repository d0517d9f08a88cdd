/** Wires notifications together: config, database, sidecar, subscriptions, REST and the e-mail sender. */
import {
  accessTokenVerifierFromConfig,
  BindingError,
  createApp,
  createLogger,
  finishApp,
  followFaultFlags,
  initMetrics,
  mountSubscriptions,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
} from '@meshmart/kit';
import type { NotificationsConfig } from './config.ts';
import { EmailSender } from './email-sender.ts';
import { migrations } from './migrations.ts';
import { mountRoutes } from './routes.ts';
import { NotificationStore } from './store.ts';
import { notificationSubscriptions } from './subscriptions.ts';

export async function startNotifications(
  config: NotificationsConfig,
  options: { handleSignals?: boolean } = {},
): Promise<RunningServer> {
  const logger = createLogger('notifications', config.LOG_LEVEL);
  initMetrics('notifications');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger);

  const daprApiToken = config.DAPR_API_TOKEN;
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprGrpcPort: config.DAPR_GRPC_PORT, daprApiToken });
  const smtp = sidecar.withTimeout(config.EMAIL_SEND_TIMEOUT_MS);
  // users' JWKS through our own sidecar: the notifications → users edge of the topology.
  const verifier = accessTokenVerifierFromConfig(config);
  const store = new NotificationStore(pool);
  const faults = await followFaultFlags({
    service: 'notifications',
    sidecar,
    logger,
  });
  const sender = new EmailSender({
    pool,
    bindings: {
      // The flag fails the send where the relay would, so the retry loop and its metrics react as they would to SMTP.
      invokeBinding: (name, request) =>
        faults.flags.isOn('notifications.smtp-failure')
          ? Promise.reject(new BindingError(`binding ${name} failed: notifications.smtp-failure is set`))
          : smtp.invokeBinding(name, request),
    },
    bindingName: config.SMTP_BINDING,
    logger,
    maxAttempts: config.EMAIL_MAX_ATTEMPTS,
    pollMs: config.EMAIL_RETRY_POLL_MS,
    maxBackoffMs: config.EMAIL_MAX_BACKOFF_MS,
  });

  const service = createApp({
    service: 'notifications',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'notifications'),
    ],
  });
  mountRoutes(service.router, store, verifier);
  mountSubscriptions(service.router, notificationSubscriptions({ store, sender, opsEmail: config.OPS_EMAIL, logger }), logger);

  sender.start();
  return serveService(finishApp(service), config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => faults.stop(), () => sender.stop(), () => pool.end()],
  });
}
