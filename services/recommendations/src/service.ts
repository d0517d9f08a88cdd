/**
 * Wires recommendations together. The app protocol is HTTP, as users': pub/sub
 * deliveries and probes are HTTP on the app port, and the gRPC API is served on that same
 * port (the kit tells the two apart by the connection preface). An app-protocol gRPC app
 * would receive events through Dapr's AppCallback service instead.
 */
import {
  createApp,
  createGrpcServer,
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
import { RecommendationsServiceService } from '@meshmart/proto/recommendations/v1/recommendations';
import { CatalogView } from './catalog-view.ts';
import type { RecommendationsConfig } from './config.ts';
import { OrderCounts } from './counts.ts';
import { recommendationHandlers } from './handlers.ts';
import { recommendationsServed } from './metrics.ts';
import { migrations } from './migrations.ts';
import { Recommender } from './recommender.ts';
import { recommendationSubscriptions } from './subscriptions.ts';

export async function startRecommendations(
  config: RecommendationsConfig,
  options: { handleSignals?: boolean } = {},
): Promise<RunningServer> {
  const logger = createLogger('recommendations', config.LOG_LEVEL);
  initMetrics('recommendations');
  // Every series from zero, so the dashboard's source mix is an increase from the start.
  for (const list of ['bought_together', 'for_you']) {
    for (const source of ['bought_together', 'category_best_seller', 'best_seller'])
      recommendationsServed.inc({ list, source }, 0);
  }
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger);
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });

  const service = createApp({
    service: 'recommendations',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'recommendations'),
    ],
  });
  mountSubscriptions(service.router, recommendationSubscriptions(new OrderCounts(pool), new CatalogView(pool)), logger);

  const grpc = createGrpcServer({ logger, appToken: config.APP_API_TOKEN });
  grpc.addService(RecommendationsServiceService, recommendationHandlers(new Recommender(pool, config.MIN_SHARED_ORDERS)));

  return serveService(finishApp(service), config, {
    logger,
    handleSignals: options.handleSignals,
    grpcServer: grpc.server,
    onDrain: service.setDraining,
    onShutdown: [() => pool.end()],
  });
}
