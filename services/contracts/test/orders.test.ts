import assert from 'node:assert/strict';
import { luhnValid } from '../src/card.ts';
import { idempotencyKey } from '../src/common.ts';
import { checkoutRequest, listOrdersQuery } from '../src/orders.ts';
import { fieldsOf } from './fields.ts';

const valid = {
  items: [{ productId: 'mug-1', quantity: 2 }],
  shippingAddressId: '3f0b4a8e-8f55-4c43-9d6a-1a2b3c4d5e6f',
  card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
};

describe('checkout input', () => {
  it('accepts a well-formed checkout', () => {
    assert.deepEqual(checkoutRequest.parse(valid), valid);
  });

  it('refuses prices sent by the client as unknown fields', () => {
    assert.deepEqual(
      fieldsOf(checkoutRequest, { ...valid, totalMinor: 1, items: [{ productId: 'mug-1', quantity: 1, unitPriceMinor: 1 }] }),
      ['items.0.unitPriceMinor', 'totalMinor'],
    );
  });

  it('refuses negative or fractional quantities, operator objects and duplicate products', () => {
    assert.deepEqual(
      fieldsOf(checkoutRequest, {
        ...valid,
        items: [
          { productId: 'mug-1', quantity: -1 },
          { productId: { $gt: '' }, quantity: 1.5 },
        ],
      }),
      ['items.0.quantity', 'items.1.productId', 'items.1.quantity'],
    );
    const twice = { productId: 'mug-1', quantity: 1 };
    assert.deepEqual(fieldsOf(checkoutRequest, { ...valid, items: [twice, { productId: 'tee', quantity: 1 }, twice] }), [
      'items.2.productId',
    ]);
    assert.deepEqual(fieldsOf(checkoutRequest, { ...valid, items: [] }), ['items']);
  });

  it('checks the card: digits, Luhn, expiry, cvc', () => {
    assert.deepEqual(
      fieldsOf(checkoutRequest, { ...valid, card: { number: '4242424242424241', expMonth: 13, expYear: 2099, cvc: '12' } }),
      ['card.cvc', 'card.expMonth', 'card.number'],
    );
    assert.deepEqual(fieldsOf(checkoutRequest, { ...valid, card: { ...valid.card, expMonth: 1, expYear: 2001 } }), [
      'card.expYear',
    ]);
    assert.ok(luhnValid('4000000000000002'));
    assert.ok(!luhnValid('4000000000000003'));
  });

  it('bounds Idempotency-Key and paging', () => {
    assert.equal(idempotencyKey.parse('order-2024-0001'), 'order-2024-0001');
    for (const bad of ['', 'short', 'has spaces in it', 'x'.repeat(129)])
      assert.equal(idempotencyKey.safeParse(bad).success, false);
    assert.deepEqual(listOrdersQuery.parse({}), { limit: 20, offset: 0 });
    assert.deepEqual(fieldsOf(listOrdersQuery, { limit: '0', offset: '-1', status: 'paid' }), ['limit', 'offset', 'status']);
  });
});
