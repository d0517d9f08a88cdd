/**
 * What catalog accepts at its edge. Strict objects refuse unknown fields; every filter
 * value is a plain string or number by the time it reaches a query, so an operator
 * object such as `{"$gt": ""}` can only ever be a 400.
 */
import { z } from 'zod';

export const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const CATEGORY_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

const MAX_PRICE_MINOR = 1_000_000_000;

export const productIdParam = z.string().regex(PRODUCT_ID, 'not a product id');
export const categoryId = z.string().regex(CATEGORY_ID, 'must be lower-case letters, digits and dashes (at most 40)');

const text = (max: number) => z.string().trim().max(max);
const minor = z.number().int().min(0).max(MAX_PRICE_MINOR);

const imageUrl = z
  .string()
  .max(2048)
  .url()
  .refine((v) => /^https?:$/.test(new URL(v).protocol), 'must be an http or https URL');

const attributes = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9 _-]{0,39}$/, 'attribute names are letters, digits, spaces, _ and -'), text(200))
  .refine((a) => Object.keys(a).length <= 30, 'at most 30 attributes');

const editable = {
  name: text(120).min(1),
  description: text(4000).default(''),
  category: categoryId,
  priceMinor: minor,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  images: z.array(imageUrl).max(10).default([]),
  attributes: attributes.default({}),
};

/** Stock is inventory's: an admin sets it there once the product exists. */
export const createProductBody = z.strictObject(editable);

/** A full replacement of what describes a product. */
export const replaceProductBody = z.strictObject(editable);

export const createCategoryBody = z.strictObject({ id: categoryId.optional(), name: text(80).min(1) });

export const sorts = ['name', '-name', 'price', '-price', 'created', '-created'] as const;

const nonNegativeInt = (max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));

export const listQuery = z
  .strictObject({
    category: categoryId.optional(),
    q: z.string().trim().min(1).max(100).optional(),
    minPrice: nonNegativeInt(MAX_PRICE_MINOR).optional(),
    maxPrice: nonNegativeInt(MAX_PRICE_MINOR).optional(),
    inStock: z.enum(['true', 'false']).optional(),
    sort: z.enum(sorts).default('name'),
    limit: nonNegativeInt(100).pipe(z.number().min(1)).default(20),
    offset: nonNegativeInt(10_000).default(0),
  })
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    path: ['minPrice'],
    message: 'must not be above maxPrice',
  });

export type CreateProductBody = z.infer<typeof createProductBody>;
export type ReplaceProductBody = z.infer<typeof replaceProductBody>;
export type ListQuery = z.infer<typeof listQuery>;
