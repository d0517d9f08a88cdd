/**
 * What orders accepts. Strict objects: unknown fields are refused, so a client cannot
 * slip in prices (`unitPriceMinor`, `totalMinor`): totals come from catalog only.
 */
import { z } from 'zod';

/** Printable ASCII without spaces; payments uses the same bounds for the keys orders derives. */
export const idempotencyKey = z.string().regex(/^[\x21-\x7e]{8,128}$/, 'required: 8 to 128 printable characters');

export const productId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'not a product id');

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export const card = z
  .strictObject({
    number: z
      .string()
      .regex(/^\d{12,19}$/, 'must be 12 to 19 digits')
      .refine(luhnValid, 'is not a valid card number'),
    expMonth: z.number().int().min(1).max(12),
    expYear: z.number().int().min(2000).max(2199),
    cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
  })
  .superRefine((c, ctx) => {
    const now = new Date();
    const expired = c.expYear * 12 + c.expMonth < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
    if (expired) ctx.addIssue({ code: 'custom', path: ['expYear'], message: 'the card has expired' });
  });

const item = z.strictObject({
  productId,
  quantity: z.number().int().min(1).max(100),
});

export const checkoutBody = z.strictObject({
  items: z
    .array(item)
    .min(1)
    .max(50)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((it, i) => {
        if (seen.has(it.productId)) ctx.addIssue({ code: 'custom', path: [i, 'productId'], message: 'listed twice' });
        seen.add(it.productId);
      });
    }),
  shippingAddressId: z.uuid(),
  card,
});

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export const orderIdParam = z.uuid();

export type CheckoutBody = z.infer<typeof checkoutBody>;
