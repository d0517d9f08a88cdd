/** What payments accepts. Strict objects: unknown fields and operator objects are refused. */
import { z } from 'zod';
import { expiredField, luhnValid } from './cards.ts';

/** The processor's per-charge ceiling; also keeps sums far inside PostgreSQL's bigint and JS's safe integers. */
export const MAX_AMOUNT_MINOR = 99_999_999;

const currencies = new Set(Intl.supportedValuesOf('currency'));

export const currency = z.string().refine((c) => currencies.has(c), 'must be an ISO 4217 currency code, e.g. EUR');
export const amountMinor = z
  .number()
  .int('must be an integer amount in minor units')
  .positive()
  .max(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR}`);

const cardNumber = z
  .string()
  .max(40)
  .transform((s) => s.replace(/\s+/g, ''))
  .superRefine((n, ctx) => {
    if (!/^\d{12,19}$/.test(n)) ctx.addIssue({ code: 'custom', message: 'must be 12 to 19 digits' });
    else if (!luhnValid(n)) ctx.addIssue({ code: 'custom', message: 'is not a valid card number' });
  });

export const card = z
  .strictObject({
    number: cardNumber,
    expMonth: z.number().int().min(1).max(12),
    expYear: z.number().int().min(2000).max(2199),
    cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
  })
  .superRefine((c, ctx) => {
    const field = expiredField(c.expMonth, c.expYear, new Date());
    if (field) ctx.addIssue({ code: 'custom', path: [field], message: 'the card has expired' });
  });

export const chargeBody = z.strictObject({
  orderId: z.string().min(1).max(128),
  amountMinor,
  currency,
  card,
});

export const refundBody = z.strictObject({ amountMinor });

/** Printable ASCII without spaces; the same bounds orders uses for its own keys. */
export const idempotencyKey = z.string().regex(/^[\x21-\x7e]{8,128}$/, 'required: 8 to 128 printable characters');

export const chargeIdParam = z.uuid();

export type ChargeBody = z.infer<typeof chargeBody>;
export type CardInput = z.infer<typeof card>;
