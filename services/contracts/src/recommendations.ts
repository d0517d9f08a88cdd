/** The REST face of recommendations, served by the gateway over its gRPC API; recommendations checks again. */
import { z } from 'zod';
import { wholeNumber } from './common.ts';

/** GET /api/products/:id/recommendations and /api/recommendations */
export const recommendationQuery = z.strictObject({ limit: wholeNumber(1, 20).optional().describe('default 10') });

export const recommendationList = z.object({
  items: z.array(
    z.object({
      productId: z.string(),
      name: z.string(),
      category: z.string(),
      priceMinor: z.number().int(),
      currency: z.string(),
      score: z.number().describe('higher first; comparable within one source'),
      source: z
        .enum(['bought_together', 'category_best_seller', 'best_seller'])
        .describe('bought in the same orders, a best-seller of the category, or of the store'),
    }),
  ),
});
export type RecommendationList = z.infer<typeof recommendationList>;
