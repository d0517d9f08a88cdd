/** Wires payments together: config, database, sidecar, REST routes and the outbox relay. */
import {
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
  startOutboxRelay,
} from '@meshmart/kit';
import { stopTracing } from '@meshmart/kit/tracing';
import type { PaymentsConfig } from './config.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { migrations } from './migrations.ts';
import { Payments } from './payments.ts';
import { Processor } from './processor.ts';
import { mountRoutes } from './routes.ts';

export async function startPayments(config: PaymentsConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('payments', config.LOG_LEVEL);
  initMetrics('payments');
  const pool = createPool(config.DATABASE_URL);
  const applied = await migrate(pool, migrations);
  if (applied.length) logger.info('migrations applied', { versions: applied });

  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });
  const keys = new IdempotencyKeys(pool, { leaseMs: config.IDEMPOTENCY_LEASE_MS, waitMs: config.IDEMPOTENCY_WAIT_MS });
  const payments = new Payments(pool, keys, new Processor(config.SLOW_CARD_DELAY_MS));

  const service = createApp({
    service: 'payments',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'sidecar', check: () => sidecar.healthy() },
    ],
  });
  mountRoutes(service.router, payments);
  // Dapr asks every app for its subscriptions at start; payments has none.
  mountSubscriptions(service.router, [], logger);

  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });
  return serve(finishApp(service), {
    port: config.PORT,
    host: config.BIND_HOST,
    logger,
    graceMs: config.SHUTDOWN_GRACE_MS,
    handleSignals: options.handleSignals ?? true,
    onDrain: service.setDraining,
    onShutdown: [() => relay.stop(), () => pool.end(), () => stopTracing()],
  });
}
