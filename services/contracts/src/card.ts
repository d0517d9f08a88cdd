/**
 * The card check, owned by payments and applied by every hop that takes a card (the
 * gateway, orders, payments), so a card refused anywhere is refused for the same reason.
 */
import { z } from 'zod';

export type Brand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';

export function luhnValid(number: string): boolean {
  if (!/^\d+$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function brandOf(number: string): Brand {
  if (/^4/.test(number)) return 'visa';
  if (/^3[47]/.test(number)) return 'amex';
  const first4 = Number(number.slice(0, 4));
  if (/^5[1-5]/.test(number) || (first4 >= 2221 && first4 <= 2720)) return 'mastercard';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  return 'unknown';
}

/**
 * Which expiry field makes the card expired, if any. A card is valid through the last
 * day of its expiry month (UTC).
 */
export function expiredField(expMonth: number, expYear: number, now: Date): 'expYear' | 'expMonth' | undefined {
  const year = now.getUTCFullYear();
  if (expYear < year) return 'expYear';
  if (expYear === year && expMonth < now.getUTCMonth() + 1) return 'expMonth';
  return undefined;
}

/** Spaces as printed on the card are dropped before the digits are checked. */
const cardNumber = z
  .string()
  .max(40)
  .transform((s) => s.replace(/\s+/g, ''))
  .superRefine((n, ctx) => {
    if (!/^\d{12,19}$/.test(n)) ctx.addIssue({ code: 'custom', message: 'must be 12 to 19 digits' });
    else if (!luhnValid(n)) ctx.addIssue({ code: 'custom', message: 'is not a valid card number' });
  })
  .describe('12 to 19 digits passing the Luhn check; spaces are ignored');

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
export type Card = z.infer<typeof card>;

/**
 * What of a card may enter a fingerprint: brand, last four digits and expiry. A hash of
 * the full number would be as good as storing it (a card number has few unknown digits
 * once the brand and last four are known), and the cvc must never be kept in any form.
 * The cost: a different card with the same brand, last four digits and expiry under one
 * key is not told apart.
 */
export function cardPrint({ number, expMonth, expYear }: Card) {
  return { brand: brandOf(number), last4: number.slice(-4), expMonth, expYear };
}
