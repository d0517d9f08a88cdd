/** Wires notifications together: config, database, sidecar, subscriptions, REST and the e-mail sender. */
import {
  accessTokenVerifierFromConfig,
  createApp,
  createLogger,
  finishApp,
  initMetrics,
  mountSubscriptions,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
} from '@meshmart/kit';
import { OutputBindings } from '@meshmart/kit/bindings';
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
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken });
  const bindings = new OutputBindings({
    daprHttpPort: config.DAPR_HTTP_PORT,
    daprApiToken,
    timeoutMs: config.EMAIL_SEND_TIMEOUT_MS,
  });
  // users' JWKS through our own sidecar: the notifications → users edge of the topology.
  const verifier = accessTokenVerifierFromConfig(config);
  const store = new NotificationStore(pool);
  const sender = new EmailSender({
    pool,
    bindings,
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
    onShutdown: [() => sender.stop(), () => pool.end()],
  });
}
