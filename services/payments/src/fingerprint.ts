/**
 * Fingerprints of idempotent requests: the same key must come with the same request.
 * The hash is over canonical JSON (sorted keys), so field order does not matter.
 */
import { createHash } from 'node:crypto';
import { brandOf } from './cards.ts';
import type { ChargeBody } from './schemas.ts';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex');
}

/**
 * The card enters as brand, last four digits and expiry only. A hash of the full number
 * would be as good as storing it (a card number has few unknown digits once the brand
 * and last four are known), and the cvc must never be kept in any form. The cost: a
 * different card with the same last four digits and expiry under one key is not told
 * apart, which orders, minting one key per payment attempt, never does.
 */
export function chargeFingerprint(body: ChargeBody): string {
  const { number, expMonth, expYear } = body.card;
  return fingerprint({
    orderId: body.orderId,
    amountMinor: body.amountMinor,
    currency: body.currency,
    card: { brand: brandOf(number), last4: number.slice(-4), expMonth, expYear },
  });
}
