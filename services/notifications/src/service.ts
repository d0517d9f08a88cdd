/** Wires notifications together: config, database, sidecar, subscriptions, REST and the e-mail sender. */
import {
  accessTokenVerifierFromConfig,
  createApp,
  createLogger,
  createPool,
  finishApp,
  initMetrics,
  migrate,
  mountSubscriptions,
  type RunningServer,
  Sidecar,
  serve,
} from '@meshmart/kit';
import { OutputBindings } from '@meshmart/kit/bindings';
import { stopTracing } from '@meshmart/kit/tracing';
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
  const pool = createPool(config.DATABASE_URL);
  const applied = await migrate(pool, migrations);
  if (applied.length) logger.info('migrations applied', { versions: applied });

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
      { name: 'sidecar', check: () => sidecar.healthy() },
    ],
  });
  mountRoutes(service.router, store, verifier);
  mountSubscriptions(service.router, notificationSubscriptions({ store, sender, opsEmail: config.OPS_EMAIL, logger }), logger);

  sender.start();
  return serve(finishApp(service), {
    port: config.PORT,
    host: config.BIND_HOST,
    logger,
    graceMs: config.SHUTDOWN_GRACE_MS,
    handleSignals: options.handleSignals ?? true,
    onDrain: service.setDraining,
    onShutdown: [() => sender.stop(), () => pool.end(), () => stopTracing()],
  });
}
