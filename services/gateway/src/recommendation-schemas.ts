/** What the gateway accepts and documents for recommendations; recommendations checks again. */
import { z } from 'zod';

export const recommendationQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,2}$/, 'must be a whole number')
    .refine((v) => Number(v) >= 1 && Number(v) <= 20, 'must be from 1 to 20')
    .optional()
    .describe('default 10'),
});

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
