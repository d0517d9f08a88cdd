/** Wires links together: config, database, cache, click recorder, live stats, gRPC and the admin port. */
import {
  createApp,
  createGrpcServer,
  createLogger,
  finishApp,
  followFaultFlags,
  initMetrics,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveGrpcService,
  sidecarReadiness,
  startOutboxRelay,
} from '@meshmart/kit';
import { LinksServiceService } from '@meshmart/proto/links/v1/links';
import { ClickRecorder } from './click-recorder.ts';
import type { LinksConfig } from './config.ts';
import { linksHandlers } from './handlers.ts';
import { flaggedState, linkCache } from './link-cache.ts';
import { LinksRepo } from './links-repo.ts';
import { LiveStats } from './live-stats.ts';
import { migrations } from './migrations.ts';

export async function startLinks(config: LinksConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('links', config.LOG_LEVEL);
  initMetrics('links');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger, config.DB_POOL_MAX);

  const sidecar = new Sidecar({
    daprHttpPort: config.DAPR_HTTP_PORT,
    daprGrpcPort: config.DAPR_GRPC_PORT,
    daprApiToken: config.DAPR_API_TOKEN,
  });
  // Redirects give the state store a short leash: a slow store costs a PostgreSQL read, not a slow redirect.
  const cacheSidecar = sidecar.withTimeout(config.CACHE_TIMEOUT_MS);
  const repo = new LinksRepo(pool);
  const faults = await followFaultFlags({
    service: 'links',
    sidecar,
    logger,
  });
  const cache = linkCache({
    state: flaggedState(cacheSidecar, faults.flags),
    store: config.STATE_STORE,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    logger,
  });
  const recorder = new ClickRecorder(
    (clicks) => repo.recordClicks(clicks),
    {
      windowMs: config.CLICK_BATCH_WINDOW_MS,
      maxBatch: config.CLICK_BATCH_MAX,
      maxInFlight: config.CLICK_COMMITS_IN_FLIGHT,
      backlogMax: config.CLICK_BACKLOG_MAX,
      retryMs: config.CLICK_RETRY_MS,
    },
    logger,
  );
  const live = new LiveStats(
    config.DATABASE_URL,
    (code) => repo.liveCounts(code),
    { maxStreams: config.STREAM_MAX, minIntervalMs: config.STREAM_MIN_INTERVAL_MS, heartbeatMs: config.STREAM_HEARTBEAT_MS },
    logger,
  );
  await live.start();

  const admin = createApp({
    service: 'links',
    logger,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'links'),
    ],
  });
  const grpc = createGrpcServer({ logger, appToken: config.APP_API_TOKEN });
  grpc.addService(
    LinksServiceService,
    linksHandlers({ repo, cache, recorder, live, maxBuckets: config.STATS_MAX_BUCKETS, logger }),
  );

  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });
  return serveGrpcService(finishApp(admin), grpc.server, config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: () => {
      admin.setDraining();
      // Open streams would hold the gRPC drain for the whole grace period.
      void live.stop();
    },
    onShutdown: [() => faults.stop(), () => recorder.close(), () => relay.stop(), () => pool.end()],
  });
}
