/**
 * Recommendation routes, answered over gRPC to recommendations through the gateway's own
 * sidecar (`dapr-app-id: recommendations`). The proto's source enum becomes a word here.
 */
import type { recommendationList } from '@meshmart/contracts/recommendations';
import {
  type Recommendation,
  type RecommendationsServiceClient,
  Source,
} from '@meshmart/proto/recommendations/v1/recommendations';
import type { z } from 'zod';
import { routeInput } from './forward.ts';
import { type RouteContext, type RouteHandler, unaryCalls } from './grpc-callee.ts';
import type { GatewayRoute, RecommendationsOperation } from './routes.ts';

export interface RecommendationsDeps {
  client: RecommendationsServiceClient;
  unaryTimeoutMs: number;
}

type Item = z.infer<typeof recommendationList>['items'][number];

const SOURCES: Record<Source, Item['source'] | undefined> = {
  [Source.SOURCE_BOUGHT_TOGETHER]: 'bought_together',
  [Source.SOURCE_CATEGORY_BEST_SELLER]: 'category_best_seller',
  [Source.SOURCE_BEST_SELLER]: 'best_seller',
  [Source.SOURCE_UNSPECIFIED]: undefined,
  [Source.UNRECOGNIZED]: undefined,
};

export function recommendationItems(list: Recommendation[]): Item[] {
  return list.flatMap((r) => {
    const source = SOURCES[r.source];
    if (!source) return [];
    const { productId, name, category, priceMinor, currency, score } = r;
    return [{ productId, name, category, priceMinor, currency, score, source }];
  });
}

export function recommendationsHandler(
  operation: RecommendationsOperation,
  route: GatewayRoute,
  deps: RecommendationsDeps,
): RouteHandler {
  const { client, unaryTimeoutMs } = deps;
  const call = unaryCalls(client, 'recommendations', unaryTimeoutMs);
  const answer = (ctx: RouteContext, list: Recommendation[]) => {
    ctx.body = { items: recommendationItems(list) };
    // Lists follow stock and orders as they happen: nothing on the way may keep one.
    ctx.set('cache-control', 'no-store');
  };

  switch (operation) {
    case 'forProduct':
      return async (ctx) => {
        const { params, query } = routeInput(route, ctx);
        const { recommendations } = await call(client.getBoughtTogether, {
          productId: String(params.id),
          limit: Number(query?.limit ?? 0),
        });
        answer(ctx, recommendations);
      };
    case 'forMe':
      return async (ctx) => {
        const { query } = routeInput(route, ctx);
        const { recommendations } = await call(client.getForUser, {
          userId: ctx.state.user?.id ?? '',
          limit: Number(query?.limit ?? 0),
        });
        answer(ctx, recommendations);
      };
  }
}
