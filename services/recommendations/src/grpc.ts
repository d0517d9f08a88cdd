/** gRPC RecommendationsService over the recommender; the source mix is counted per list. */

import { status } from '@grpc/grpc-js';
import { PRODUCT_ID } from '@meshmart/contracts/common';
import { GrpcError, type UnaryHandler } from '@meshmart/kit';
import {
  type GetBoughtTogetherRequest,
  type GetBoughtTogetherResponse,
  type GetForUserRequest,
  type GetForUserResponse,
  type Recommendation,
  Source,
} from '@meshmart/proto/recommendations/v1/recommendations';
import { recommendationsServed } from './metrics.ts';
import type { Recommended, Recommender } from './recommender.ts';

/** catalog's product ids; users' ids (UUIDs) fit the same pattern. */
const ID = PRODUCT_ID;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 20;

const SOURCES: Record<Recommended['source'], Source> = {
  bought_together: Source.SOURCE_BOUGHT_TOGETHER,
  category_best_seller: Source.SOURCE_CATEGORY_BEST_SELLER,
  best_seller: Source.SOURCE_BEST_SELLER,
};

function limitOf(limit: number): number {
  if (limit === 0) return DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) throw new GrpcError(status.INVALID_ARGUMENT, `limit must be 1 to ${MAX_LIMIT}`);
  return limit;
}

function idOf(value: string, field: string): string {
  if (!ID.test(value)) throw new GrpcError(status.INVALID_ARGUMENT, `${field} is not an id`);
  return value;
}

function message(list: 'bought_together' | 'for_you', found: Recommended[]): Recommendation[] {
  for (const r of found) recommendationsServed.inc({ list, source: r.source });
  return found.map((r) => ({ ...r, source: SOURCES[r.source] }));
}

export function recommendationHandlers(recommender: Recommender): {
  getBoughtTogether: UnaryHandler<GetBoughtTogetherRequest, GetBoughtTogetherResponse>;
  getForUser: UnaryHandler<GetForUserRequest, GetForUserResponse>;
} {
  return {
    async getBoughtTogether(call) {
      const productId = idOf(call.request.productId, 'product_id');
      const found = await recommender.boughtTogether(productId, limitOf(call.request.limit));
      return { recommendations: message('bought_together', found) };
    },
    async getForUser(call) {
      const userId = idOf(call.request.userId, 'user_id');
      const found = await recommender.forUser(userId, limitOf(call.request.limit));
      return { recommendations: message('for_you', found) };
    },
  };
}
