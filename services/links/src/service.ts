/** links declared: its database, cache, click recorder, live stats and the gRPC service on an app-protocol gRPC port. */
import { defineService } from '@meshmart/kit';
import { LinksServiceService } from '@meshmart/proto/links/v1/links';
import { ClickRecorder } from './click-recorder.ts';
import { linksConfigSchema } from './config.ts';
import { linksHandlers } from './grpc.ts';
import { flaggedState, linkCache } from './link-cache.ts';
import { LinksRepo } from './links-store.ts';
import { LiveStats } from './live-stats.ts';
import { migrations } from './migrations.ts';

export const service = defineService({
  name: 'links',
  config: linksConfigSchema,
  postgres: { migrations },
  compose: async ({ config, logger, pool, faults, sidecarWith }) => {
    const repo = new LinksRepo(pool);
    const cache = linkCache({
      // Redirects give the state store a short leash: a slow store costs a PostgreSQL read, not a slow redirect.
      state: flaggedState(sidecarWith(config.CACHE_TIMEOUT_MS), faults),
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
    return {
      grpc: [
        {
          definition: LinksServiceService,
          handlers: linksHandlers({ repo, cache, recorder, live, maxBuckets: config.STATS_MAX_BUCKETS, logger }),
        },
      ],
      // Open streams would hold the gRPC drain for the whole grace period.
      onDrain: () => void live.stop(),
      shutdown: [() => recorder.close()],
    };
  },
});
