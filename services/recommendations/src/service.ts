/**
 * recommendations declared. The app protocol is HTTP, as users': pub/sub deliveries and
 * probes are HTTP on the app port, and the gRPC API is served on that same port (the kit
 * tells the two apart by the connection preface). An app-protocol gRPC app would receive
 * events through Dapr's AppCallback service instead.
 */
import { defineService } from '@meshmart/kit';
import { RecommendationsServiceService } from '@meshmart/proto/recommendations/v1/recommendations';
import { CatalogView } from './catalog-view.ts';
import { recommendationsConfigSchema } from './config.ts';
import { OrderCounts } from './counts.ts';
import { recommendationHandlers } from './grpc.ts';
import { recommendationsServed } from './metrics.ts';
import { migrations } from './migrations.ts';
import { Recommender } from './recommender.ts';
import { recommendationSubscriptions } from './subscriptions.ts';

export const service = defineService({
  name: 'recommendations',
  config: recommendationsConfigSchema,
  postgres: { migrations },
  compose: ({ config, pool }) => {
    // Every series from zero, so the dashboard's source mix is an increase from the start.
    for (const list of ['bought_together', 'for_you']) {
      for (const source of ['bought_together', 'category_best_seller', 'best_seller'])
        recommendationsServed.inc({ list, source }, 0);
    }
    return {
      subscriptions: recommendationSubscriptions(new OrderCounts(pool), new CatalogView(pool)),
      grpc: [
        {
          definition: RecommendationsServiceService,
          handlers: recommendationHandlers(new Recommender(pool, config.MIN_SHARED_ORDERS)),
        },
      ],
    };
  },
});
