/**
 * What search accepts. Query text is bounded and free of control characters (PostgreSQL
 * text cannot hold NUL); everything else is a closed set or a bounded integer, so no
 * value reaches SQL except as a bound parameter.
 */
import { z } from 'zod';

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

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const categoryId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'not a category id');

export const searchSorts = ['relevance', 'name', 'price', '-price', 'newest'] as const;
export type SearchSort = (typeof searchSorts)[number];

export const searchQuery = z
  .strictObject({
    q: text(MAX_QUERY_LENGTH).optional(),
    category: categoryId.optional(),
    minPrice: wholeNumber(0, MAX_PRICE_MINOR).optional(),
    maxPrice: wholeNumber(0, MAX_PRICE_MINOR).optional(),
    inStock: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    sort: z.enum(searchSorts).optional(),
    page: wholeNumber(1, MAX_PAGE).default(1),
  })
  .refine((s) => s.minPrice === undefined || s.maxPrice === undefined || s.minPrice <= s.maxPrice, {
    path: ['minPrice'],
    message: 'must not be above maxPrice',
  })
  .transform(({ q, ...rest }) => ({ ...rest, q: q === '' ? undefined : q }));

export type SearchQuery = z.infer<typeof searchQuery>;

export const suggestQuery = z.strictObject({ q: text(MAX_SUGGEST_LENGTH).pipe(z.string().min(1, 'must not be blank')) });

/** POST /admin/rebuild takes no body; an empty JSON object is tolerated. */
export const emptyBody = z.union([z.undefined(), z.strictObject({})]);
