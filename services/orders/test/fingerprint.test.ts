import assert from 'node:assert/strict';
import { checkoutFingerprint } from '../src/fingerprint.ts';
import type { CheckoutBody } from '../src/schemas.ts';

const body: CheckoutBody = {
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
    assert.equal(checkoutFingerprint({ ...body, card: { ...body.card, number: '5555555555554242', cvc: '999' } }), fp);
    assert.match(fp, /^[0-9a-f]{64}$/);
  });
});
