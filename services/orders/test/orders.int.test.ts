/**
 * orders over HTTP on the real PostgreSQL: idempotency under concurrency, the saga's
 * persistence, recovery of abandoned sagas and payment events. users, catalog and
 * payments are other services (checkout.e2e.test.ts runs them for real); here they are
 * scripted through the saga's ports so each failure can be staged.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { checkoutFingerprint } from '@meshmart/contracts/fingerprint';
import type { Order } from '@meshmart/contracts/orders';
import { createPool, Problem } from '@meshmart/kit';
import { createScratchDatabase, type ScratchDatabase } from '@meshmart/stack';
import { infraForThisRun, testTokens } from '@meshmart/test-support';
import type pg from 'pg';
import { OrdersRepo } from '../src/orders-store.ts';
import { service } from '../src/service.ts';
import { CARD, PRICE, ScriptedInventory, ScriptedPayments } from './support.ts';

const APP_TOKEN = 'orders-int-test-token';
/** What the scripted catalog quotes before the order is written; a saga without the quote prices at PRICE. */
const QUOTED_PRICE = 990;
const LEASE_SECONDS = 2;

interface Account {
  id: string;
  token: string;
  addressId: string;
}

const infra = infraForThisRun();

describe('orders on the real PostgreSQL', function () {
  this.timeout(30_000);
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let orders: Awaited<ReturnType<typeof service.start>>;
  let base: string;
  let inventory: ScriptedInventory;
  let payments: ScriptedPayments;
  let sign: (sub: string, roles?: string[]) => Promise<string>;
  /** Addresses by id, with the user owning each. */
  const addresses = new Map<string, string>();

  before(async function () {
    this.timeout(180_000);
    await infra.start(['postgres']);
    db = await createScratchDatabase('orders_it');
    pool = createPool(db.url, 20);

    const tokens = await testTokens();
    sign = tokens.sign;

    const config = service.loadConfig({
      PORT: '1',
      DATABASE_URL: db.url,
      // No sidecar runs here: the outbox relay retries quietly, readiness says "not ready".
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: APP_TOKEN,
      LOG_LEVEL: 'error',
      SAGA_LEASE_SECONDS: String(LEASE_SECONDS),
      // The tests run recovery passes themselves.
      RECOVERY_INTERVAL_MS: '600000',
      CHECKOUT_WAIT_MS: '8000',
    });
    inventory = new ScriptedInventory();
    payments = new ScriptedPayments();
    orders = await service.start(
      { ...config, PORT: 0 },
      {
        handleSignals: false,
        accessTokens: tokens.verifier,
        dependencies: {
          users: {
            async buyer(userId, addressId) {
              if (addresses.get(addressId) !== userId) {
                throw new Problem(422, 'unknown-address', 'Unknown shipping address', { detail: 'not yours' });
              }
              const shippingAddress = {
                id: addressId,
                label: 'home',
                line1: '1 Main St',
                line2: '',
                city: 'Springfield',
                postalCode: '12345',
                country: 'US',
              };
              return { email: `${userId}@example.com`, shippingAddress };
            },
          },
          catalog: {
            async quote(ids) {
              if (ids.includes('ghost')) throw new Problem(422, 'unknown-product', 'Unknown product', { detail: 'no ghost' });
              return new Map(ids.map((id) => [id, { name: `Quoted ${id}`, priceMinor: QUOTED_PRICE, currency: 'EUR' }]));
            },
          },
          inventory,
          payments,
        },
      },
    );
    base = `http://127.0.0.1:${orders.port}`;
  });

  after(async () => {
    await orders?.close();
    await pool?.end();
    await db?.drop();
  });

  beforeEach(() => {
    inventory.reset();
    payments.reset();
  });

  async function account(roles?: string[]): Promise<Account> {
    const id = randomUUID();
    const addressId = randomUUID();
    addresses.set(addressId, id);
    return { id, addressId, token: await sign(id, roles) };
  }

  const checkoutBody = (who: Account, items = [{ productId: 'mug', quantity: 2 }]) => ({
    items,
    shippingAddressId: who.addressId,
    card: CARD,
  });

  async function call(method: string, path: string, who: Account | undefined, options: { body?: unknown; key?: string } = {}) {
    const response = await fetch(base + path, {
      method,
      headers: {
        'dapr-api-token': APP_TOKEN,
        ...(who && { authorization: `Bearer ${who.token}` }),
        ...(options.key && { 'idempotency-key': options.key }),
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as never };
  }

  const checkout = (who: Account, key: string, body: unknown = checkoutBody(who)) =>
    call('POST', '/orders', who, { body, key }) as Promise<{ status: number; type: string; body: Order }>;

  const count = async (sql: string, params: unknown[]) => Number((await pool.query(sql, params)).rows[0].n);

  /** Leaves an order as a process that died mid-saga would: unfinished, its lease run out. */
  async function abandon(orderId: string, step: string): Promise<void> {
    await pool.query(
      `UPDATE orders SET step = $2, lines = '[{"productId":"mug","name":"Mug","quantity":2,"unitPriceMinor":1250}]',
         total_minor = 2500, currency = 'EUR', lease_until = now() - interval '1 second'
       WHERE id = $1`,
      [orderId, step],
    );
  }

  /** An order placed straight through the store, as a checkout's first step writes it. */
  function placeOrder(who: Account, email: string, key = randomUUID()) {
    return new OrdersRepo(pool, LEASE_SECONDS).insert({
      id: randomUUID(),
      userId: who.id,
      userEmail: email,
      idempotencyKey: key,
      fingerprint: checkoutFingerprint(checkoutBody(who)),
      items: [{ productId: 'mug', quantity: 2 }],
      shippingAddress: { id: who.addressId, label: '', line1: 'x', line2: '', city: 'x', postalCode: '1', country: 'US' },
      leaseToken: randomUUID(),
    });
  }

  async function stuckOrder(who: Account, step: string, key = randomUUID()): Promise<string> {
    const order = await placeOrder(who, 'stuck@example.com', key);
    await abandon(order.id, step);
    return order.id;
  }

  describe('checkout', () => {
    it('answers 201 with a paid order priced by the quote read before it was written, its events in the outbox', async () => {
      const ann = await account();
      const res = await checkout(ann, randomUUID());
      assert.equal(res.status, 201);
      const order = res.body;
      assert.equal(order.status, 'paid');
      assert.equal(order.totalMinor, 2 * QUOTED_PRICE);
      assert.deepEqual(order.lines, [{ productId: 'mug', name: 'Quoted mug', quantity: 2, unitPriceMinor: QUOTED_PRICE }]);
      assert.deepEqual(
        inventory.quotes.map((q) => q && [...q.keys()]),
        [['mug']],
      );
      assert.equal(order.paymentId, 'pay-1');
      assert.deepEqual(
        order.timeline.map((t) => t.status),
        ['pending', 'pending', 'pending', 'paid'],
      );
      const { rows } = await pool.query("SELECT topic, envelope FROM outbox WHERE envelope->'data'->>'orderId' = $1", [order.id]);
      assert.deepEqual(rows.map((r) => r.topic).sort(), ['order.created', 'order.paid']);
      assert.equal(rows[0].envelope.data.userEmail, `${ann.id}@example.com`);
      assert.equal(JSON.stringify(rows).includes(CARD.number), false, 'the card number is never stored');
      assert.equal(
        await count('SELECT count(*) AS n FROM orders WHERE id = $1 AND (items::text LIKE $2)', [order.id, '%4242%']),
        0,
      );
    });

    it('answers the same key with the same order (200) and a different body with 422, creating nothing', async () => {
      const ann = await account();
      const key = randomUUID();
      const first = await checkout(ann, key);
      const again = await checkout(ann, key);
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      const changed = await checkout(ann, key, checkoutBody(ann, [{ productId: 'mug', quantity: 3 }]));
      assert.equal(changed.status, 422);
      assert.match(changed.type, /problem\+json/);
      assert.equal(await count('SELECT count(*) AS n FROM orders WHERE user_id = $1', [ann.id]), 1);
      assert.equal(payments.charges.length, 1);
      // The key belongs to the user: another user may use the same one.
      const bob = await account();
      assert.equal((await checkout(bob, key)).status, 201);
    });

    it('creates one order and one charge for 20 concurrent requests with one key', async () => {
      const ann = await account();
      const key = randomUUID();
      payments.chargeScript = async (n) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { kind: 'succeeded', paymentId: `pay-${n}` };
      };
      const results = await Promise.all(Array.from({ length: 20 }, () => checkout(ann, key)));
      assert.deepEqual(results.map((r) => r.status).sort(), [...Array(19).fill(200), 201]);
      assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
      assert.ok(
        results.every((r) => r.body.status === 'paid'),
        'every duplicate waited for the saga to end',
      );
      assert.equal(await count('SELECT count(*) AS n FROM orders WHERE user_id = $1 AND idempotency_key = $2', [ann.id, key]), 1);
      assert.equal(payments.charges.length, 1);
      assert.equal(inventory.count('reserve'), 1);
    });

    it('ends failed with the reason when stock runs out, releasing nothing it did not hold', async () => {
      const ann = await account();
      inventory.reserveScript = { kind: 'out_of_stock', detail: 'mug (requested 2, available 0)' };
      const res = await checkout(ann, randomUUID());
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'failed');
      assert.equal(res.body.reason, 'out of stock: mug (requested 2, available 0)');
      assert.equal(payments.charges.length, 0);
      assert.equal(inventory.count('release'), 0);
      const failed = await pool.query(
        "SELECT envelope FROM outbox WHERE topic = 'order.failed' AND envelope->'data'->>'orderId' = $1",
        [res.body.id],
      );
      assert.equal(failed.rows[0]?.envelope.data.reason, res.body.reason);
    });

    it('ends failed with "card declined" and releases the stock', async () => {
      const ann = await account();
      payments.chargeScript = { kind: 'declined', failureClass: 'card_declined', reason: 'card declined' };
      const res = await checkout(ann, randomUUID());
      assert.equal(res.body.status, 'failed');
      assert.equal(res.body.reason, 'card declined');
      assert.equal(inventory.count('release'), 1);
    });

    it('refuses bad input with 4xx problems and writes nothing', async () => {
      const ann = await account();
      const key = randomUUID();
      const priced = { ...checkoutBody(ann), items: [{ productId: 'mug', quantity: 1, unitPriceMinor: 1 }] };
      const cases: Array<[unknown, string | undefined, number]> = [
        [priced, key, 400],
        [checkoutBody(ann), undefined, 400],
        [checkoutBody(ann, [{ productId: 'ghost', quantity: 1 }]), key, 422],
        [{ ...checkoutBody(ann), shippingAddressId: randomUUID() }, key, 422],
        [{ ...checkoutBody(ann), items: { $gt: '' } }, key, 400],
      ];
      for (const [body, withKey, status] of cases) {
        const res = await call('POST', '/orders', ann, { body, ...(withKey && { key: withKey }) });
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.match(res.type, /problem\+json/);
      }
      const noToken = await call('POST', '/orders', undefined, { body: checkoutBody(ann), key });
      assert.equal(noToken.status, 401);
      assert.equal(await count('SELECT count(*) AS n FROM orders WHERE user_id = $1', [ann.id]), 0);
    });
  });

  describe('history and cancellation', () => {
    it('lists the caller’s orders newest first with paging; others get 404, admins may look', async () => {
      const ann = await account();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await checkout(ann, randomUUID())).body.id);
      const page = (await call('GET', '/orders?limit=2&offset=0', ann)) as {
        body: { items: Order[]; total: number; limit: number };
      };
      assert.equal(page.body.total, 3);
      assert.deepEqual(
        page.body.items.map((o) => o.id),
        [ids[2], ids[1]],
      );
      assert.ok(page.body.items[0]?.timeline.length);
      assert.equal((await call('GET', '/orders?limit=500', ann)).status, 400);

      const bob = await account();
      assert.equal((await call('GET', `/orders/${ids[0]}`, bob)).status, 404);
      assert.equal((await call('GET', `/orders/${ids[0]}`, await account(['customer', 'admin']))).status, 200);
      assert.equal((await call('GET', '/orders/not-a-uuid', ann)).status, 400);
    });

    it('cancels a paid order: full refund, order.cancelled; cancelling again changes nothing', async () => {
      const ann = await account();
      const paid = (await checkout(ann, randomUUID())).body;
      const res = (await call('POST', `/orders/${paid.id}/cancel`, ann)) as { status: number; body: Order };
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'cancelled');
      assert.equal(res.body.refundedMinor, paid.totalMinor);
      assert.equal(res.body.reason, 'cancelled by the customer');
      assert.deepEqual(payments.refunds, [{ orderId: paid.id, paymentId: paid.paymentId, amountMinor: paid.totalMinor }]);
      const again = (await call('POST', `/orders/${paid.id}/cancel`, ann)) as { status: number; body: Order };
      assert.equal(again.body.status, 'cancelled');
      assert.equal(payments.refunds.length, 1);
      const events = await pool.query(
        "SELECT envelope FROM outbox WHERE topic = 'order.cancelled' AND envelope->'data'->>'orderId' = $1",
        [paid.id],
      );
      assert.equal(events.rows.length, 1);
      assert.equal(events.rows[0].envelope.data.refundedMinor, paid.totalMinor);
    });

    it('refuses to cancel a failed order (409) and someone else’s (404)', async () => {
      const ann = await account();
      payments.chargeScript = { kind: 'declined', failureClass: 'card_declined', reason: 'card declined' };
      const failed = (await checkout(ann, randomUUID())).body;
      assert.equal((await call('POST', `/orders/${failed.id}/cancel`, ann)).status, 409);
      assert.equal((await call('POST', `/orders/${failed.id}/cancel`, await account())).status, 404);
    });
  });

  describe('recovery of abandoned sagas', () => {
    it('compensates an order abandoned before payment finished: releases stock, ends failed', async () => {
      const ann = await account();
      const id = await stuckOrder(ann, 'charging');
      await orders.recovery.runOnce();
      const order = (await call('GET', `/orders/${id}`, ann)).body as Order;
      assert.equal(order.status, 'failed');
      assert.match(order.reason ?? '', /interrupted/);
      assert.deepEqual(inventory.calls, [`release ${id}`]);
      assert.equal(payments.charges.length, 0);
    });

    it('finishes an order abandoned after payment: commits, ends paid', async () => {
      const ann = await account();
      const id = await stuckOrder(ann, 'committing');
      await pool.query("UPDATE orders SET payment_id = 'pay-before-crash' WHERE id = $1", [id]);
      await orders.recovery.runOnce();
      const order = (await call('GET', `/orders/${id}`, ann)).body as Order;
      assert.equal(order.status, 'paid');
      assert.deepEqual(inventory.calls, [`commit ${id}`]);
    });

    it('resumes an order abandoned while charging when payments reported the charge', async () => {
      const ann = await account();
      const id = await stuckOrder(ann, 'charging');
      await post('/events/payment-succeeded', paymentEvent('payment.succeeded', id, 'pay-seen-by-events'));
      await orders.recovery.runOnce();
      const order = (await call('GET', `/orders/${id}`, ann)).body as Order;
      assert.equal(order.status, 'paid');
      assert.equal(order.paymentId, 'pay-seen-by-events');
      assert.equal(payments.charges.length, 0);
    });

    it('leaves alone an order whose runner still holds the lease', async () => {
      const ann = await account();
      const id = await stuckOrder(ann, 'committing');
      await pool.query("UPDATE orders SET lease_until = now() + interval '1 minute' WHERE id = $1", [id]);
      await orders.recovery.runOnce();
      assert.equal(inventory.calls.length, 0);
      await pool.query("UPDATE orders SET step = 'done', status = 'failed' WHERE id = $1", [id]);
    });

    it('lets the buyer’s retry, carrying the card, take over an abandoned checkout', async () => {
      const ann = await account();
      const key = randomUUID();
      const id = await stuckOrder(ann, 'reserving', key);
      const res = await checkout(ann, key);
      assert.equal(res.status, 200);
      assert.equal(res.body.id, id);
      assert.equal(res.body.status, 'paid');
      assert.equal(payments.charges.length, 1);
      // The first request's quote died with its saga: the retry's Reserve prices the order itself.
      assert.deepEqual(inventory.quotes, [undefined]);
      assert.equal(res.body.totalMinor, 2 * PRICE);
    });

    it('fences a runner whose lease was taken: no order change, no timeline entry, no event', async () => {
      const ann = await account();
      const repo = new OrdersRepo(pool, LEASE_SECONDS);
      const order = await placeOrder(ann, 'fenced@example.com');
      const failedEvent = {
        topic: 'order.failed' as const,
        data: {
          orderId: order.id,
          userId: ann.id,
          userEmail: 'fenced@example.com',
          totalMinor: 0,
          currency: 'XXX',
          at: new Date().toISOString(),
          reason: 'fenced',
        },
      };
      const state = async () => {
        const row = await pool.query('SELECT step, status FROM orders WHERE id = $1', [order.id]);
        const timeline = await pool.query('SELECT count(*)::int AS n FROM order_timeline WHERE order_id = $1', [order.id]);
        const events = await pool.query("SELECT count(*)::int AS n FROM outbox WHERE envelope->'data'->>'orderId' = $1", [
          order.id,
        ]);
        return { ...row.rows[0], timeline: timeline.rows[0].n, events: events.rows[0].n };
      };
      // Another runner takes the order over (for long enough that recovery leaves it alone).
      await pool.query("UPDATE orders SET lease_token = $2, lease_until = now() + interval '1 minute' WHERE id = $1", [
        order.id,
        randomUUID(),
      ]);
      const before = await state();
      await assert.rejects(repo.advance(order, { step: 'charging', note: 'stale move' }), { name: 'LeaseLost' });
      await assert.rejects(repo.advance(order, { step: 'done', status: 'failed', note: 'stale failure', event: failedEvent }), {
        name: 'LeaseLost',
      });
      assert.deepEqual(await state(), before);

      // The runner holding the lease writes all three (the negative of the case above).
      const current = await pool.query<{ lease_token: string }>('SELECT lease_token FROM orders WHERE id = $1', [order.id]);
      const owner = { ...order, leaseToken: current.rows[0]?.lease_token as string };
      await repo.advance(owner, { step: 'done', status: 'failed', note: 'failure', event: failedEvent });
      assert.deepEqual(await state(), {
        step: 'done',
        status: 'failed',
        timeline: before.timeline + 1,
        events: before.events + 1,
      });
    });

    it('never lets two replicas claim the same order (FOR UPDATE SKIP LOCKED)', async () => {
      const ann = await account();
      const ids = await Promise.all(Array.from({ length: 20 }, () => stuckOrder(ann, 'committing')));
      const other = createPool(db.url, 2);
      try {
        const [a, b] = await Promise.all([new OrdersRepo(pool, 60).claimDue(20), new OrdersRepo(other, 60).claimDue(20)]);
        const claimed = [...a, ...b].map((o) => o.id);
        assert.equal(new Set(claimed).size, claimed.length, 'no order claimed twice');
        assert.deepEqual(claimed.filter((id) => ids.includes(id)).sort(), [...ids].sort());
      } finally {
        await other.end();
        await pool.query("UPDATE orders SET step = 'done', status = 'failed' WHERE id = ANY($1::uuid[])", [ids]);
      }
    });

    it('refunds a charge reported for an order that had already failed, once, whatever the redeliveries', async () => {
      const ann = await account();
      payments.chargeScript = 'transient';
      const failed = (await checkout(ann, randomUUID())).body;
      assert.equal(failed.status, 'failed');
      const event = paymentEvent('payment.succeeded', failed.id, 'pay-late');
      for (let i = 0; i < 3; i++) assert.equal((await post('/events/payment-succeeded', event)).status, 'SUCCESS');
      await orders.recovery.runOnce();
      const order = (await call('GET', `/orders/${failed.id}`, ann)).body as Order;
      assert.equal(order.status, 'failed');
      assert.equal(order.paymentId, 'pay-late');
      assert.equal(order.refundedMinor, failed.totalMinor);
      assert.deepEqual(payments.refunds, [{ orderId: failed.id, paymentId: 'pay-late', amountMinor: failed.totalMinor }]);
      const announced = await count(
        "SELECT count(*) AS n FROM outbox WHERE topic = 'order.failed' AND envelope->'data'->>'orderId' = $1",
        [failed.id],
      );
      assert.equal(announced, 1);
    });
  });

  function paymentEvent(topic: 'payment.succeeded', orderId: string, paymentId: string) {
    const eventId = randomUUID();
    return {
      id: eventId,
      data: {
        eventId,
        topic,
        version: 1,
        occurredAt: new Date().toISOString(),
        data: { paymentId, orderId, amountMinor: 2500, currency: 'EUR', at: new Date().toISOString() },
      },
    };
  }

  async function post(path: string, cloudEvent: unknown): Promise<{ status: string }> {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'dapr-api-token': APP_TOKEN, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(cloudEvent),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as { status: string };
  }
});
