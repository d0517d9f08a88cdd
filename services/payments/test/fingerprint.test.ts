import assert from 'node:assert/strict';
import { chargeFingerprint, fingerprint } from '../src/fingerprint.ts';
import { chargeBody } from '../src/schemas.ts';

const nextYear = new Date().getUTCFullYear() + 1;
const charge = (over: Record<string, unknown> = {}, card: Record<string, unknown> = {}) =>
  chargeBody.parse({
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
