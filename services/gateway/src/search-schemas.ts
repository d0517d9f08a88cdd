/**
 * What the gateway accepts and documents for search. Bounds follow search's own
 * (services/search/src/schemas.ts), which checks them again.
 */
import { z } from 'zod';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;
const queryText = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters');
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .refine((v) => Number(v) >= min && Number(v) <= max, `must be from ${min} to ${max}`);

export const searchQuery = z.strictObject({
  q: queryText(200)
    .optional()
    .describe('words as typed into a web search box: "quoted phrase", or, -excluded; typos tolerated in names'),
  category: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'not a category id')
    .optional(),
  minPrice: wholeNumber(0, 1_000_000_000).optional().describe('in minor units'),
  maxPrice: wholeNumber(0, 1_000_000_000).optional().describe('in minor units'),
  inStock: z.enum(['true', 'false']).optional(),
  sort: z
    .enum(['relevance', 'name', 'price', '-price', 'newest'])
    .optional()
    .describe('relevance when q is given, name otherwise'),
  page: wholeNumber(1, 50).optional().describe('20 results a page'),
});

export const suggestQuery = z.strictObject({ q: queryText(100).refine((v) => v.trim() !== '', 'must not be blank') });

const count = z.number().int();

export const searchResult = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      category: z.string(),
      priceMinor: count,
      currency: z.string(),
      inStock: z.boolean(),
      highlights: z
        .object({ name: z.string(), description: z.string() })
        .describe('HTML: the text escaped, matched words in <mark>'),
      score: z.number(),
    }),
  ),
  total: count.describe('products matching, over all pages'),
  page: count,
  pageSize: count,
  facets: z
    .object({
      categories: z.array(z.object({ category: z.string(), count })),
      priceBands: z.array(z.object({ key: z.string(), min: count, max: count.nullable(), count })),
      inStock: z.object({ inStock: count, outOfStock: count }),
    })
    .describe('counted over every matching product, not only this page'),
});

export const suggestions = z.object({ suggestions: z.array(z.string()).max(10) });

export const rebuildProgress = z.object({
  id: z.uuid(),
  status: z.enum(['running', 'done', 'failed']),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  catalogTotal: count.nullable().describe('products catalog reported when the rebuild began'),
  read: count,
  indexed: count,
  removed: count,
  error: z.string().nullable(),
});
