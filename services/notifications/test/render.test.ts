import assert from 'node:assert/strict';
import { DropEvent, type EventEnvelope, type EventTopic } from '@meshmart/kit';
import { escapeHtml, formatMoney, render } from '../src/render.ts';

const OPS = 'ops@meshmart.test';
const at = '2030-01-01T00:00:00.000Z';

function event<T extends EventTopic>(topic: T, data: unknown): EventEnvelope<T> {
  return { eventId: 'e-1', topic, version: 1, occurredAt: at, data } as EventEnvelope<T>;
}

const order = { orderId: 'o-42', userId: 'u-1', userEmail: 'ann@example.com', totalMinor: 4598, currency: 'EUR', at };
const lines = [{ productId: 'p-1', name: 'Mug <large>', quantity: 2, unitPriceMinor: 2299 }];

describe('notification rendering', () => {
  it('welcomes a new user in the app and by e-mail', () => {
    const n = render(
      event('user.registered', { userId: 'u-1', email: 'ann@example.com', displayName: 'Ann', registeredAt: at }),
      OPS,
    );
    assert.equal(n.kind, 'welcome');
    assert.equal(n.userId, 'u-1');
    assert.equal(n.title, 'Welcome to meshmart');
    assert.match(n.body, /Hi Ann, your account ann@example\.com is ready/);
    assert.deepEqual([n.email.to, n.email.subject], ['ann@example.com', 'Welcome to meshmart']);
    assert.match(n.email.html, /^<!doctype html>.*<h1>Welcome to meshmart<\/h1>/);
  });

  it('tells the buyer the order is paid, with the total and the lines', () => {
    const n = render(event('order.paid', { ...order, lines, paymentId: 'pay-1' }), OPS);
    assert.equal(n.kind, 'order_paid');
    assert.equal(n.userId, 'u-1');
    assert.equal(n.email.to, 'ann@example.com');
    assert.match(n.body, /€45\.98 for order o-42/);
    assert.match(n.email.html, /Mug &#60;large&#62;<\/td><td>&times; 2<\/td><td>€45\.98/);
  });

  it('explains a cancellation, with the refund only when there is one', () => {
    const refunded = render(event('order.cancelled', { ...order, lines, reason: 'cancelled by you', refundedMinor: 4598 }), OPS);
    assert.equal(refunded.kind, 'order_cancelled');
    assert.equal(refunded.body, 'Order o-42 was cancelled: cancelled by you. €45.98 is refunded to your card.');
    const none = render(event('order.cancelled', { ...order, lines, reason: 'payment expired', refundedMinor: 0 }), OPS);
    assert.doesNotMatch(none.body, /refunded/);
  });

  it('tells the buyer why an order failed', () => {
    const n = render(event('order.failed', { ...order, reason: 'the card was declined' }), OPS);
    assert.equal(n.kind, 'order_failed');
    assert.match(n.body, /could not be completed: the card was declined\./);
  });

  it('mails low stock to the operators and to no user', () => {
    const n = render(
      event('inventory.low_stock', { productId: 'p-1', name: 'Mug\r\nBcc: x@evil.test', available: 2, threshold: 5, at }),
      OPS,
    );
    assert.equal(n.kind, 'low_stock');
    assert.equal(n.userId, undefined);
    assert.equal(n.email.to, OPS);
    assert.equal(n.email.subject, 'Low stock: Mug Bcc: x@evil.test', 'no line breaks reach the subject header');
    assert.match(n.body, /down to 2 available; its threshold is 5/);
  });

  it('escapes everything taken from events in the HTML', () => {
    const n = render(
      event('user.registered', {
        userId: 'u-1',
        email: 'ann@example.com',
        displayName: '<script>alert("x")</script>',
        registeredAt: at,
      }),
      OPS,
    );
    assert.doesNotMatch(n.email.html, /<script>/);
    assert.match(n.email.html, /&#60;script&#62;alert\(&#34;x&#34;\)/);
    assert.equal(escapeHtml(`&<>"'`), '&#38;&#60;&#62;&#34;&#39;');
  });

  it('formats money by the currency’s minor unit', () => {
    assert.equal(formatMoney(1999, 'EUR'), '€19.99');
    assert.equal(formatMoney(1999, 'JPY'), '¥1,999');
    assert.match(formatMoney(1999, 'KWD'), /^KWD\s1\.999$/);
    // Formatters are kept per currency: one currency's must never format another's amounts.
    assert.equal(formatMoney(250, 'EUR'), '€2.50');
    assert.equal(formatMoney(250, 'JPY'), '¥250');
    assert.throws(() => formatMoney(100, 'EURO'), RangeError);
  });

  it('drops topics it has nothing to say about', () => {
    assert.throws(
      () => render(event('product.deleted', { productId: 'p-1', revision: 2, at }), OPS),
      (err) => err instanceof DropEvent,
    );
  });
});
