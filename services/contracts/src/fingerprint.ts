/**
 * What makes two requests "the same" for an Idempotency-Key: a hash of canonical JSON
 * (keys sorted, undefined left out), so the order of fields does not matter.
 */
import { createHash } from 'node:crypto';
import { cardPrint } from './card.ts';
import type { CheckoutRequest } from './orders.ts';
import type { ChargeRequest } from './payments.ts';

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

/** Two charges under one key are the same when order, amount, currency and card print agree. */
export function chargeFingerprint(body: ChargeRequest): string {
  return fingerprint({
    orderId: body.orderId,
    amountMinor: body.amountMinor,
    currency: body.currency,
    card: cardPrint(body.card),
  });
}

/**
 * Two checkouts under one key are the same when they buy the same items (in any order),
 * ship to the same address and pay with a card of the same print.
 */
export function checkoutFingerprint(body: CheckoutRequest): string {
  const items = [...body.items]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((i) => [i.productId, i.quantity]);
  return fingerprint({ items, shippingAddressId: body.shippingAddressId, card: cardPrint(body.card) });
}
