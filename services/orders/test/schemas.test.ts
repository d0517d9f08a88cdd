import assert from 'node:assert/strict';
import { Problem, parse } from '@meshmart/kit';
import type { z } from 'zod';
import { checkoutBody, idempotencyKey, listQuery, luhnValid } from '../src/schemas.ts';

function fields(schema: z.ZodType, value: unknown): string[] {
  try {
    parse(schema, value);
  } catch (err) {
    assert.ok(err instanceof Problem);
    assert.equal(err.status, 400);
    return (err.errors ?? []).map((e) => e.field).sort();
  }
  assert.fail('expected a validation problem');
}

const valid = {
  items: [{ productId: 'mug-1', quantity: 2 }],
  shippingAddressId: '3f0b4a8e-8f55-4c43-9d6a-1a2b3c4d5e6f',
  card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
};

describe('checkout input', () => {
  it('accepts a well-formed checkout', () => {
    assert.deepEqual(parse(checkoutBody, valid), valid);
  });

  it('refuses prices sent by the client as unknown fields', () => {
    assert.deepEqual(
      fields(checkoutBody, { ...valid, totalMinor: 1, items: [{ productId: 'mug-1', quantity: 1, unitPriceMinor: 1 }] }),
      ['items.0.unitPriceMinor', 'totalMinor'],
    );
  });

  it('refuses negative or fractional quantities, operator objects and duplicate products', () => {
    assert.deepEqual(
      fields(checkoutBody, {
        ...valid,
        items: [
          { productId: 'mug-1', quantity: -1 },
          { productId: { $gt: '' }, quantity: 1.5 },
        ],
      }),
      ['items.0.quantity', 'items.1.productId', 'items.1.quantity'],
    );
    const twice = { productId: 'mug-1', quantity: 1 };
    assert.deepEqual(fields(checkoutBody, { ...valid, items: [twice, { productId: 'tee', quantity: 1 }, twice] }), [
      'items.2.productId',
    ]);
    assert.deepEqual(fields(checkoutBody, { ...valid, items: [] }), ['items']);
  });

  it('checks the card: digits, Luhn, expiry, cvc', () => {
    assert.deepEqual(
      fields(checkoutBody, { ...valid, card: { number: '4242424242424241', expMonth: 13, expYear: 2099, cvc: '12' } }),
      ['card.cvc', 'card.expMonth', 'card.number'],
    );
    assert.deepEqual(fields(checkoutBody, { ...valid, card: { ...valid.card, expMonth: 1, expYear: 2001 } }), ['card.expYear']);
    assert.ok(luhnValid('4000000000000002'));
    assert.ok(!luhnValid('4000000000000003'));
  });

  it('bounds Idempotency-Key and paging', () => {
    assert.equal(parse(idempotencyKey, 'order-2024-0001'), 'order-2024-0001');
    for (const bad of ['', 'short', 'has spaces in it', 'x'.repeat(129)])
      assert.equal(idempotencyKey.safeParse(bad).success, false);
    assert.deepEqual(parse(listQuery, {}), { limit: 20, offset: 0 });
    assert.deepEqual(fields(listQuery, { limit: '0', offset: '-1', status: 'paid' }), ['limit', 'offset', 'status']);
  });
});
