/** Recommendations, answered by the gateway over recommendations' gRPC API (recommendations.ts). */
import { recommendationList, recommendationQuery } from '@meshmart/contracts/recommendations';
import type { CalleeApi, RecommendationsOperation, RouteTarget } from '../routes.ts';
import { productIdParams } from './catalog.ts';

const recommendationsTag = 'recommendations';
const recommendations = (operation: RecommendationsOperation): RouteTarget => ({ kind: 'recommendations', operation });

export const recommendationsApi: CalleeApi = {
  requests: {},
  responses: {},
  routes: [
    {
      method: 'GET',
      path: '/api/products/:id/recommendations',
      summary: "Bought with this product; its category's best-sellers while few orders connect it",
      tag: recommendationsTag,
      access: 'public',
      limit: 'api',
      params: productIdParams,
      query: recommendationQuery,
      success: { status: 200, description: 'Recommendations, best first', schema: recommendationList },
      errors: [],
      target: recommendations('forProduct'),
    },
    {
      method: 'GET',
      path: '/api/recommendations',
      summary: 'For the signed-in user, from their paid orders; best-sellers before their first',
      tag: recommendationsTag,
      access: 'user',
      limit: 'api',
      query: recommendationQuery,
      success: { status: 200, description: 'Recommendations, best first', schema: recommendationList },
      errors: [],
      target: recommendations('forMe'),
    },
  ],
};
