import assert from 'node:assert/strict';
import { type EventEnvelope, type EventTopic, eventSchemas, readEnvelope } from '@meshmart/kit';
import { topics } from '@meshmart/kit/topology';
import { distinctNames, type Increment, rollupOf, rollupRows, trackedRollup } from '../src/increments.ts';

const at = '2026-11-21T13:45:10.000Z';

/** Events go through the kit's schema check, so every fixture is one the service could receive. */
function event(topic: string, data: Record<string, unknown>): EventEnvelope {
  const read = readEnvelope({
    eventId: `e-${topic}`,
    topic,
    version: eventSchemas[topic as EventTopic].version,
    occurredAt: '2026-11-21T14:00:00.000Z',
    data,
  });
  if (!read.ok) throw new Error(read.reason);
  return read.event;
}

const inc = (metric: string, dimension = '', amount = 1, currency = ''): Increment =>
  ({ metric, dimension, currency, amount }) as Increment;
const topicCount = (topic: string) => inc('events', topic);

const order = { orderId: 'o-1', userId: 'u-1', userEmail: 'ann@example.com', totalMinor: 5897, currency: 'EUR', at };
const lines = [
  { productId: 'p-1', name: 'Mug', quantity: 2, unitPriceMinor: 1299 },
  { productId: 'p-2', name: 'Tee', quantity: 1, unitPriceMinor: 3299 },
];
const product = {
  productId: 'p-1',
  name: 'Big mug',
  category: 'kitchen',
  description: '',
  priceMinor: 1499,
  currency: 'EUR',
  revision: 3,
  at,
};

const fixtures: Record<string, EventEnvelope> = {
  'user.registered': event('user.registered', {
    userId: 'u-1',
    email: 'ann@example.com',
    displayName: 'Ann',
    registeredAt: at,
  }),
  'product.created': event('product.created', product),
  'product.updated': event('product.updated', product),
  'product.deleted': event('product.deleted', { productId: 'p-1', revision: 4, at }),
  'inventory.low_stock': event('inventory.low_stock', { productId: 'p-1', name: 'Mug', available: 1, threshold: 5, at }),
  'inventory.stock_changed': event('inventory.stock_changed', { productId: 'p-1', available: 1, held: 2, revision: 7, at }),
  'order.created': event('order.created', { ...order, lines }),
  'order.paid': event('order.paid', { ...order, lines, paymentId: 'pay-1' }),
  'order.cancelled': event('order.cancelled', { ...order, lines, reason: 'changed my mind', refundedMinor: 5897 }),
  'order.failed': event('order.failed', { ...order, reason: 'card declined' }),
  'payment.succeeded': event('payment.succeeded', { paymentId: 'pay-1', orderId: 'o-1', amountMinor: 5897, currency: 'EUR', at }),
  'payment.failed': event('payment.failed', {
    paymentId: 'pay-2',
    orderId: 'o-2',
    amountMinor: 100,
    currency: 'EUR',
    reason: 'declined',
    at,
  }),
  'payment.refunded': event('payment.refunded', {
    paymentId: 'pay-1',
    refundId: 'r-1',
    orderId: 'o-1',
    amountMinor: 5897,
    currency: 'EUR',
    at,
  }),
  'link.created': event('link.created', {
    code: 'abc123',
    ownerId: 'u-2',
    targetUrl: 'https://example.com/',
    customAlias: false,
    expiresAt: null,
    at,
  }),
  'link.clicked': event('link.clicked', {
    clickId: 'c-1',
    code: 'abc123',
    ownerId: 'u-2',
    referrer: '(direct)',
    userAgent: 'Firefox',
    at,
  }),
  'qr.generated': event('qr.generated', {
    qrId: 'q-1',
    ownerId: 'u-3',
    format: 'svg',
    size: 256,
    cached: false,
    batch: true,
    at,
  }),
};

const expected: Record<string, Increment[]> = {
  'user.registered': [inc('signups')],
  'product.created': [],
  'product.updated': [],
  'product.deleted': [],
  'inventory.low_stock': [],
  'inventory.stock_changed': [],
  'order.created': [inc('orders.created')],
  'order.paid': [
    inc('orders.paid'),
    inc('revenue', '', 5897, 'EUR'),
    inc('user.orders_paid', 'u-1'),
    inc('user.spent', 'u-1', 5897, 'EUR'),
    inc('product.quantity', 'p-1', 2),
    inc('product.revenue', 'p-1', 2598, 'EUR'),
    inc('product.quantity', 'p-2', 1),
    inc('product.revenue', 'p-2', 3299, 'EUR'),
  ],
  'order.cancelled': [inc('orders.cancelled'), inc('refunded', '', 5897, 'EUR')],
  'order.failed': [inc('orders.failed')],
  // Payments carry the orders' money a second time: counted per topic only.
  'payment.succeeded': [],
  'payment.failed': [],
  'payment.refunded': [],
  'link.created': [inc('links.created'), inc('user.links_created', 'u-2')],
  'link.clicked': [inc('clicks'), inc('link.clicks', 'abc123'), inc('user.clicks_on_links', 'u-2')],
  'qr.generated': [inc('qr.generated'), inc('user.qr_generated', 'u-3')],
};

describe('event → rollup increments', () => {
  it('has a fixture and an expectation for every topic analytics subscribes to', () => {
    assert.deepEqual(Object.keys(fixtures).sort(), [...topics].sort());
    assert.deepEqual(Object.keys(expected).sort(), [...topics].sort());
  });

  for (const topic of topics) {
    it(`counts ${topic} by its topic and what it means`, () => {
      const rollup = rollupOf(fixtures[topic] as EventEnvelope);
      assert.deepEqual(rollup.increments, [topicCount(topic), ...(expected[topic] ?? [])]);
    });
  }

  it("buckets an event by its own time, not the envelope's or the arrival's", () => {
    for (const topic of topics) assert.equal(rollupOf(fixtures[topic] as EventEnvelope).at.toISOString(), at, topic);
  });

  it('learns product names from products and paid orders', () => {
    assert.deepEqual(rollupOf(fixtures['order.paid'] as EventEnvelope).productNames, [
      { productId: 'p-1', name: 'Mug' },
      { productId: 'p-2', name: 'Tee' },
    ]);
    assert.deepEqual(rollupOf(fixtures['product.updated'] as EventEnvelope).productNames, [
      { productId: 'p-1', name: 'Big mug' },
    ]);
    assert.deepEqual(rollupOf(fixtures['order.created'] as EventEnvelope).productNames, []);
  });

  it('adds no refund for a cancellation that refunded nothing', () => {
    const cancelled = event('order.cancelled', { ...order, lines, reason: 'unpaid', refundedMinor: 0 });
    assert.deepEqual(rollupOf(cancelled).increments, [topicCount('order.cancelled'), inc('orders.cancelled')]);
  });

  it('counts tracked client events in total, by name and for a signed-in user', () => {
    assert.deepEqual(trackedRollup('page.view', undefined), [inc('tracked'), inc('tracked.name', 'page.view')]);
    assert.deepEqual(trackedRollup('page.view', 'u-9'), [
      inc('tracked'),
      inc('tracked.name', 'page.view'),
      inc('user.tracked', 'u-9'),
    ]);
  });
});

describe('rollup rows', () => {
  it('adds each increment to its hour and its day, merging repeats and sorting for a stable lock order', () => {
    const rows = rollupRows(new Date(at), [
      inc('product.quantity', 'p-2', 1),
      inc('product.quantity', 'p-1', 2),
      inc('product.quantity', 'p-1', 3),
      inc('refunded', '', 0, 'EUR'),
    ]);
    assert.deepEqual(
      rows.map((r) => [r.metric, r.granularity, r.bucketStart.toISOString(), r.dimension, r.amount]),
      [
        ['product.quantity', 'day', '2026-11-21T00:00:00.000Z', 'p-1', 5],
        ['product.quantity', 'day', '2026-11-21T00:00:00.000Z', 'p-2', 1],
        ['product.quantity', 'hour', '2026-11-21T13:00:00.000Z', 'p-1', 5],
        ['product.quantity', 'hour', '2026-11-21T13:00:00.000Z', 'p-2', 1],
      ],
    );
  });

  it('keeps one name per product', () => {
    assert.deepEqual(
      distinctNames([
        { productId: 'p-2', name: 'Tee' },
        { productId: 'p-1', name: 'Mug' },
        { productId: 'p-2', name: 'Tee (blue)' },
      ]),
      [
        { productId: 'p-1', name: 'Mug' },
        { productId: 'p-2', name: 'Tee (blue)' },
      ],
    );
  });
});
