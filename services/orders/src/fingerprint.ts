/**
 * What makes two checkout requests "the same body" for an Idempotency-Key. Items count
 * in any order. The card enters as last four digits and expiry only: a hash of the full
 * number would be as good as storing it, and the cvc is never kept in any form, so a
 * different card with the same last four digits and expiry is not told apart.
 */
import { createHash } from 'node:crypto';
import type { CheckoutBody } from './schemas.ts';

export function checkoutFingerprint(body: CheckoutBody): string {
  const items = [...body.items]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((i) => [i.productId, i.quantity]);
  const { number, expMonth, expYear } = body.card;
  const canonical = JSON.stringify([items, body.shippingAddressId, [number.slice(-4), expMonth, expYear]]);
  return createHash('sha256').update(canonical).digest('hex');
}
