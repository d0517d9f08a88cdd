import assert from 'node:assert/strict';
import { z } from 'zod';
import { categoryRequest, productListQuery, productReplaceRequest, productRequest } from '../src/catalog.ts';
import { productId } from '../src/common.ts';
import { stockRequest } from '../src/inventory.ts';
import { listNotificationsQuery } from '../src/notifications.ts';
import { checkoutHeaders, checkoutRequest, orderIdParam } from '../src/orders.ts';
import { fieldsOf as fields } from './fields.ts';

const productIdParams = z.strictObject({ id: productId });
const orderIdParams = z.strictObject({ id: orderIdParam });

const mug = { name: 'Mug', category: 'kitchen', priceMinor: 1250, currency: 'EUR' };
const checkout = {
  items: [{ productId: 'mug-1', quantity: 2 }],
  shippingAddressId: '3f0b4a8e-8f55-4c43-9d6a-1a2b3c4d5e6f',
  card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
};

describe('catalog input', () => {
  it('reads product filters from the strings a query string holds', () => {
    const query = { category: 'kitchen', q: 'blue mug', inStock: 'true', sort: '-price' };
    assert.deepEqual(productListQuery.parse({ ...query, minPrice: '100', maxPrice: '5000', limit: '10', offset: '20' }), {
      ...query,
      minPrice: 100,
      maxPrice: 5000,
      limit: 10,
      offset: 20,
    });
  });

  it('refuses unknown filters, operator keys, repeated parameters and out-of-range values', () => {
    assert.deepEqual(fields(productListQuery, { 'price[$gt]': '', $where: '1', color: 'red' }), [
      '$where',
      'color',
      'price[$gt]',
    ]);
    assert.deepEqual(fields(productListQuery, { q: ['a', 'b'], minPrice: '-1', maxPrice: '1e3', inStock: 'yes' }), [
      'inStock',
      'maxPrice',
      'minPrice',
      'q',
    ]);
    assert.deepEqual(fields(productListQuery, { sort: 'stock', limit: '0', offset: '10001' }), ['limit', 'offset', 'sort']);
    assert.deepEqual(fields(productListQuery, { category: 'Kitchen Stuff' }), ['category']);
  });

  it('takes product writes with catalog’s bounds and nothing else', () => {
    productRequest.parse({ ...mug, images: ['https://img.example/mug.png'], attributes: { colour: 'blue' } });
    assert.deepEqual(fields(productRequest, { ...mug, stock: 10 }), ['stock'], 'stock is set at inventory');
    productReplaceRequest.parse(mug);
    assert.deepEqual(
      fields(productRequest, {
        ...mug,
        priceMinor: -1,
        currency: 'euro',
        images: ['javascript:alert(1)'],
        attributes: { $where: 'x' },
        isFeatured: true,
      }),
      ['attributes.$where', 'currency', 'images.0', 'isFeatured', 'priceMinor'],
    );
    assert.deepEqual(fields(productReplaceRequest, { ...mug, stock: 5 }), ['stock']);
    assert.deepEqual(fields(stockRequest, { stock: -1, lowStockThreshold: 1.5 }), ['lowStockThreshold', 'stock']);
    assert.deepEqual(fields(stockRequest, { stock: { $inc: 5 } }), ['stock']);
    assert.deepEqual(fields(categoryRequest, { name: '', id: 'Bad Id' }), ['id', 'name']);
  });

  it('checks path ids', () => {
    assert.deepEqual(fields(productIdParams, { id: '../admin' }), ['id']);
    assert.deepEqual(fields(orderIdParams, { id: 'not-a-uuid' }), ['id']);
  });
});

describe('checkout and notification input', () => {
  it('accepts a checkout with an Idempotency-Key', () => {
    assert.deepEqual(checkoutRequest.parse(checkout), checkout);
    assert.deepEqual(checkoutHeaders.parse({ 'idempotency-key': 'order-0001' }), { 'idempotency-key': 'order-0001' });
  });

  it('refuses prices, negative quantities, duplicates and bad cards', () => {
    assert.deepEqual(
      fields(checkoutRequest, {
        ...checkout,
        totalMinor: 1,
        items: [{ productId: 'mug-1', quantity: -2, unitPriceMinor: 1 }],
      }),
      ['items.0.quantity', 'items.0.unitPriceMinor', 'totalMinor'],
    );
    const twice = { productId: 'mug-1', quantity: 1 };
    assert.deepEqual(fields(checkoutRequest, { ...checkout, items: [twice, twice] }), ['items.1.productId']);
    assert.deepEqual(
      fields(checkoutRequest, { ...checkout, card: { number: '4242424242424241', expMonth: 0, expYear: 2099, cvc: 'abc' } }),
      ['card.cvc', 'card.expMonth', 'card.number'],
    );
    assert.deepEqual(fields(checkoutRequest, { ...checkout, card: { ...checkout.card, expMonth: 1, expYear: 2020 } }), [
      'card.expYear',
    ]);
  });

  it('requires an Idempotency-Key of 8 to 128 printable characters', () => {
    assert.deepEqual(fields(checkoutHeaders, {}), ['idempotency-key']);
    assert.deepEqual(fields(checkoutHeaders, { 'idempotency-key': 'with spaces in it' }), ['idempotency-key']);
  });

  it('bounds notification paging and its unread filter', () => {
    assert.deepEqual(listNotificationsQuery.parse({ unread: 'true', limit: '5' }), { unread: true, limit: 5, offset: 0 });
    assert.deepEqual(fields(listNotificationsQuery, { unread: '1', limit: '101', since: 'x' }), ['limit', 'since', 'unread']);
  });
});
