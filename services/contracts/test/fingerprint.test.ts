import assert from 'node:assert/strict';
import { chargeFingerprint, checkoutFingerprint, fingerprint } from '../src/fingerprint.ts';
import type { CheckoutRequest } from '../src/orders.ts';
import { chargeRequest } from '../src/payments.ts';

const nextYear = new Date().getUTCFullYear() + 1;
const charge = (over: Record<string, unknown> = {}, card: Record<string, unknown> = {}) =>
  chargeRequest.parse({
    orderId: 'order-1',
    amountMinor: 1999,
    currency: 'EUR',
    ...over,
    card: { number: '4242424242424242', expMonth: 12, expYear: nextYear, cvc: '123', ...card },
  });

describe('idempotency fingerprints', () => {
  it('does not depend on the order of fields', () => {
    assert.equal(fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } }), fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    assert.notEqual(fingerprint({ a: [1, 2] }), fingerprint({ a: [2, 1] }));
  });

  it('changes with the order, amount, currency, card ending and expiry', () => {
    const base = chargeFingerprint(charge());
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(chargeFingerprint(charge()), base);
    assert.notEqual(chargeFingerprint(charge({ orderId: 'order-2' })), base);
    assert.notEqual(chargeFingerprint(charge({ amountMinor: 2000 })), base);
    assert.notEqual(chargeFingerprint(charge({ currency: 'USD' })), base);
    assert.notEqual(chargeFingerprint(charge({}, { number: '4000000000000002' })), base);
    assert.notEqual(chargeFingerprint(charge({}, { expMonth: 11 })), base);
  });

  it('is derived from neither the cvc nor the digits before the last four', () => {
    const base = chargeFingerprint(charge());
    assert.equal(chargeFingerprint(charge({}, { cvc: '999' })), base);
    // Another valid Visa number with the same last four digits.
    assert.equal(chargeFingerprint(charge({}, { number: '4111111111174242' })), base);
  });
});

const body: CheckoutRequest = {
  items: [
    { productId: 'mug', quantity: 2 },
    { productId: 'tee', quantity: 1 },
  ],
  shippingAddressId: '3f0b4a8e-8f55-4c43-9d6a-1a2b3c4d5e6f',
  card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
};

describe('idempotency fingerprint of a checkout', () => {
  it('is the same for the same body, whatever the order of its items', () => {
    const reordered = { ...body, items: [...body.items].reverse() };
    assert.equal(checkoutFingerprint(reordered), checkoutFingerprint(body));
  });

  it('differs when what is bought, or where it goes, differs', () => {
    const fp = checkoutFingerprint(body);
    assert.notEqual(checkoutFingerprint({ ...body, items: [{ productId: 'mug', quantity: 3 }, body.items[1] as never] }), fp);
    assert.notEqual(checkoutFingerprint({ ...body, items: [body.items[0] as never] }), fp);
    assert.notEqual(checkoutFingerprint({ ...body, shippingAddressId: 'a0b4a8e0-8f55-4c43-9d6a-1a2b3c4d5e6f' }), fp);
  });

  it('differs for another card, told apart by last four digits and expiry', () => {
    const fp = checkoutFingerprint(body);
    assert.notEqual(checkoutFingerprint({ ...body, card: { ...body.card, number: '4000000000000002' } }), fp);
    assert.notEqual(checkoutFingerprint({ ...body, card: { ...body.card, expYear: 2098 } }), fp);
  });

  it('keeps nothing of the card number beyond the last four digits, nor the cvc', () => {
    const fp = checkoutFingerprint(body);
    assert.equal(checkoutFingerprint({ ...body, card: { ...body.card, number: '4111111111174242', cvc: '999' } }), fp);
    assert.match(fp, /^[0-9a-f]{64}$/);
  });
});
