/**
 * Facts several APIs share: ids, the Idempotency-Key header, timestamps, pages. Each is
 * written once here and imported by the service that owns it and by its callers.
 */
import { z } from 'zod';

/** catalog's product ids; inventory, orders, search and recommendations name products by them. */
export const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const productId = z.string().regex(PRODUCT_ID, 'not a product id');

export const CATEGORY_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const categoryId = z.string().regex(CATEGORY_ID, 'must be lower-case letters, digits and dashes (at most 40)');

/** Printable ASCII without spaces: what clients send to orders and what orders sends to payments. */
export const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{8,128}$/, 'required: 8 to 128 printable characters')
  .describe('chosen by the client per request; a repeat with the same body returns the first answer');

/** RFC 3339: a date, a time and a zone (`Z` or an offset). */
export const rfc3339 = z.iso.datetime({ offset: true });

/**
 * A query parameter holding a whole number from `min` to `max`, as the number it stands
 * for. Digits only, so `1e3`, `0x10` and `price[$gt]=1` are refused rather than read.
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * `limit` and `offset` of a list read in pages: at most 100 items a page, 20 unless asked,
 * and no deeper than `maxOffset`.
 */
export const pageQuery = (maxOffset: number) => ({
  limit: wholeNumber(1, 100).default(20).describe('items per page: 1 to 100, 20 unless given'),
  offset: wholeNumber(0, maxOffset).default(0).describe(`items to skip: 0 to ${maxOffset}, 0 unless given`),
});

/** `true` or `false` in a query string, as a boolean. */
export const queryBoolean = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true'));

/** A body that must be empty: a route that takes none tolerates `{}`. */
export const emptyBody = z.union([z.undefined(), z.strictObject({})]);

/** One page of a list read with limit and offset. */
export const offsetPage = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
