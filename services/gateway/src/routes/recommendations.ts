/** Recommendations, answered by the gateway over recommendations' gRPC API (recommendations.ts). */
import { recommendationList, recommendationQuery } from '@meshmart/contracts/recommendations';
import type { RecommendationsOperation, RouteTarget } from '../routes.ts';
import { calleeApi } from './callee.ts';
import { productIdParams } from './catalog.ts';

const recommendations = (operation: RecommendationsOperation): RouteTarget => ({ kind: 'recommendations', operation });

export const recommendationsApi = calleeApi({
  tag: 'recommendations',
  routes: [
    {
      method: 'GET',
      path: '/api/products/:id/recommendations',
      summary: "Bought with this product; its category's best-sellers while few orders connect it",
      access: 'public',
      params: productIdParams,
      query: recommendationQuery,
      success: { status: 200, description: 'Recommendations, best first', schema: recommendationList },
      target: recommendations('forProduct'),
    },
    {
      method: 'GET',
      path: '/api/recommendations',
      summary: 'For the signed-in user, from their paid orders; best-sellers before their first',
      access: 'user',
      query: recommendationQuery,
      success: { status: 200, description: 'Recommendations, best first', schema: recommendationList },
      target: recommendations('forMe'),
    },
  ],
});
