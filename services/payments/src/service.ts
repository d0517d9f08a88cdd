/** Wires payments together: config, database, sidecar, REST routes and the outbox relay. */
import {
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
  startOutboxRelay,
} from '@meshmart/kit';
import type { PaymentsConfig } from './config.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { migrations } from './migrations.ts';
import { Payments } from './payments.ts';
import { Processor } from './processor.ts';
import { mountRoutes } from './routes.ts';

export async function startPayments(config: PaymentsConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('payments', config.LOG_LEVEL);
  initMetrics('payments');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger);

  const sidecar = new Sidecar({
    daprHttpPort: config.DAPR_HTTP_PORT,
    daprGrpcPort: config.DAPR_GRPC_PORT,
    daprApiToken: config.DAPR_API_TOKEN,
  });
  const keys = new IdempotencyKeys(pool, { leaseMs: config.IDEMPOTENCY_LEASE_MS, waitMs: config.IDEMPOTENCY_WAIT_MS });
  const faults = await followFaultFlags({
    service: 'payments',
    sidecar,
    logger,
  });
  const payments = new Payments(pool, keys, new Processor(config.SLOW_CARD_DELAY_MS, faults.flags), faults.flags);

  const service = createApp({
    service: 'payments',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'payments'),
    ],
  });
  mountRoutes(service.router, payments);
  // Dapr asks every app for its subscriptions at start; payments has none.
  mountSubscriptions(service.router, [], logger);

  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });
  return serveService(finishApp(service), config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => faults.stop(), () => relay.stop(), () => pool.end()],
  });
}
