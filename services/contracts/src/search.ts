/**
 * search's REST API: full-text product search with facets and suggestions, and the
 * admin's index rebuild. Query text is bounded and free of control characters
 * (PostgreSQL text cannot hold NUL); everything else is a closed set or a bounded
 * integer, so no value reaches SQL except as a bound parameter.
 */
import { z } from 'zod';
import { CATEGORY_ID, queryBoolean, wholeNumber } from './common.ts';

export const MAX_QUERY_LENGTH = 200;
export const MAX_SUGGEST_LENGTH = 100;
export const PAGE_SIZE = 20;
export const MAX_PAGE = 50;
const MAX_PRICE_MINOR = 1_000_000_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

const text = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters')
    .transform((v) => v.trim());

export const searchSorts = ['relevance', 'name', 'price', '-price', 'newest'] as const;
export type SearchSort = (typeof searchSorts)[number];

/** GET /search, as parameters; `searchQuery` adds the rules between them. */
export const searchParams = z.strictObject({
  q: text(MAX_QUERY_LENGTH)
    .optional()
    .describe('words as typed into a web search box: "quoted phrase", or, -excluded; typos tolerated in names'),
  category: z.string().regex(CATEGORY_ID, 'not a category id').optional(),
  minPrice: wholeNumber(0, MAX_PRICE_MINOR).optional().describe('in minor units'),
  maxPrice: wholeNumber(0, MAX_PRICE_MINOR).optional().describe('in minor units'),
  inStock: queryBoolean,
  sort: z.enum(searchSorts).optional().describe('relevance when q is given, name otherwise'),
  page: wholeNumber(1, MAX_PAGE).default(1).describe(`${PAGE_SIZE} results a page`),
});

export const searchQuery = searchParams
  .refine((s) => s.minPrice === undefined || s.maxPrice === undefined || s.minPrice <= s.maxPrice, {
    path: ['minPrice'],
    message: 'must not be above maxPrice',
  })
  .transform(({ q, ...rest }) => ({ ...rest, q: q === '' ? undefined : q }));
export type SearchQuery = z.infer<typeof searchQuery>;

/** GET /search/suggest */
export const suggestQuery = z.strictObject({ q: text(MAX_SUGGEST_LENGTH).pipe(z.string().min(1, 'must not be blank')) });

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
export type SearchResult = z.infer<typeof searchResult>;

export const suggestions = z.object({ suggestions: z.array(z.string()).max(10) });
export type Suggestions = z.infer<typeof suggestions>;

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
export type RebuildProgress = z.infer<typeof rebuildProgress>;

export const searchErrors = {
  /** 409 on POST /admin/rebuild: one is running; GET /admin/rebuild shows it. */
  rebuildRunning: 'rebuild_running',
} as const;
