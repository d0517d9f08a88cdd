/**
 * catalog's REST API: products, categories and prices. Strict objects refuse unknown
 * fields, and every filter value is a plain string or number by the time it reaches a
 * query, so an operator object such as `{"$gt": ""}` can only ever be a 400. Query
 * strings are strict too: `price[$gt]=1` is an unknown parameter and a repeated
 * parameter is not a string.
 */
import { z } from 'zod';
import { categoryId, offsetPage, pageQuery, wholeNumber } from './common.ts';

const MAX_PRICE_MINOR = 1_000_000_000;

const text = (max: number) => z.string().trim().max(max);

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
  priceMinor: z.number().int().min(0).max(MAX_PRICE_MINOR).describe('price in minor units of the currency, e.g. cents'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  images: z.array(imageUrl).max(10).default([]),
  attributes: attributes.default({}),
};

/** POST /products. Stock is inventory's: it is set there once the product exists. */
export const productRequest = z.strictObject(editable);
export type ProductRequest = z.infer<typeof productRequest>;

/** PUT /products/:id: replaces what describes a product; stock has its own route. */
export const productReplaceRequest = z.strictObject(editable);
export type ProductReplaceRequest = z.infer<typeof productReplaceRequest>;

/** POST /categories */
export const categoryRequest = z.strictObject({ id: categoryId.optional(), name: text(80).min(1) });

export const sorts = ['name', '-name', 'price', '-price', 'created', '-created'] as const;

/** GET /products */
export const productListQuery = z
  .strictObject({
    category: categoryId.optional(),
    q: z.string().trim().min(1).max(100).optional().describe('case-insensitive text in name or description'),
    minPrice: wholeNumber(0, MAX_PRICE_MINOR).optional(),
    maxPrice: wholeNumber(0, MAX_PRICE_MINOR).optional(),
    inStock: z.enum(['true', 'false']).optional(),
    sort: z.enum(sorts).default('name'),
    ...pageQuery(10_000),
  })
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    path: ['minPrice'],
    message: 'must not be above maxPrice',
  });
export type ProductListQuery = z.infer<typeof productListQuery>;

export const product = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  priceMinor: z.number().int(),
  currency: z.string(),
  images: z.array(z.string()),
  attributes: z.record(z.string(), z.string()),
  stock: z.number().int().describe('what inventory last reported as available; checkout decides with inventory itself'),
  inStock: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Product = z.infer<typeof product>;

export const productPage = offsetPage(product);
export type ProductPage = z.infer<typeof productPage>;

export const category = z.object({ id: z.string(), name: z.string(), productCount: z.number().int() });
export type Category = z.infer<typeof category>;

export const categoryList = z.object({ items: z.array(category) });
export type CategoryList = z.infer<typeof categoryList>;

export const catalogErrors = {
  /** 409 on POST /categories: the id is taken. */
  categoryExists: 'category_exists',
  /** 409: the product changed under the write too often in a row; the same write may be retried. */
  productContended: 'product_contended',
} as const;
