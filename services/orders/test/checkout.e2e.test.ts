/**
 * The checkout saga through the gateway of the real local stack: gateway → orders →
 * users (gRPC) → catalog (HTTP, prices) → inventory (gRPC) → payments (HTTP), every hop through real daprd
 * sidecars, PostgreSQL, FerretDB and RabbitMQ.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Order } from '@meshmart/contracts/orders';
import { createPool } from '@meshmart/kit';
import { infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import { APPROVED_CARD, checkoutBody, eventually, GatewayClient, newAdmin, stockedProduct } from '@meshmart/test-support';
import type pg from 'pg';

const ADMIN = newAdmin();
const CARDS = {
  approves: APPROVED_CARD.number,
  declines: '4000000000000002',
  slow: '4000000000000077',
};
const PRICE = 1999;

interface Buyer {
  client: GatewayClient;
  token: string;
  addressId: string;
}

describe('checkout through the gateway (local stack)', function () {
  this.timeout(180_000);
  let stack: StackHandle;
  let adminToken: string;
  let category: string;
  let payments: pg.Pool;
  let orders: pg.Pool;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      env: {
        gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_API_MAX: '10000' },
        users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
        // An order abandoned by a killed process is taken over within seconds.
        orders: { SAGA_LEASE_SECONDS: '4', RECOVERY_INTERVAL_MS: '1000' },
      },
    });
    const admin = new GatewayClient(stack.urls.gateway);
    const login = await admin.call('POST', '/api/auth/login', { body: ADMIN });
    assert.equal(login.status, 200, login.text);
    adminToken = login.json<{ accessToken: string }>().accessToken;
    category = `e2e-${randomBytes(4).toString('hex')}`;
    const created = await admin.call('POST', '/api/categories', {
      token: adminToken,
      body: { id: category, name: 'End-to-end' },
    });
    assert.equal(created.status, 201, created.text);
    payments = createPool(infraUrls.postgres('payments'), 2);
    orders = createPool(infraUrls.postgres('orders'), 2);
  });

  after(async () => {
    await payments?.end();
    await orders?.end();
    await stack?.stop();
  });

  async function buyer(): Promise<Buyer> {
    const client = new GatewayClient(stack.urls.gateway);
    const email = client.newEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const registered = await client.call('POST', '/api/auth/register', { body: { email, password, displayName: 'Buyer' } });
    assert.equal(registered.status, 201, registered.text);
    const login = await client.call('POST', '/api/auth/login', { body: { email, password } });
    const token = login.json<{ accessToken: string }>().accessToken;
    const address = await client.call('POST', '/api/users/me/addresses', {
      token,
      body: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    });
    assert.equal(address.status, 201, address.text);
    return { client, token, addressId: address.json<{ id: string }>().id };
  }

  const product = (stock: number) =>
    stockedProduct(new GatewayClient(stack.urls.gateway), adminToken, {
      name: `E2E mug ${randomBytes(3).toString('hex')}`,
      category,
      priceMinor: PRICE,
      stock,
    });

  /** Available and held stock at inventory, which decides the checkout. */
  async function stockLevel(productId: string): Promise<{ available: number; held: number }> {
    const res = await new GatewayClient(stack.urls.gateway).call('GET', `/api/products/${productId}/stock`, {
      token: adminToken,
    });
    assert.equal(res.status, 200, res.text);
    const { available, held } = res.json<{ available: number; held: number }>();
    return { available, held };
  }

  const stockOf = async (productId: string) => (await stockLevel(productId)).available;

  const body = (who: Buyer, productId: string, quantity = 1, card = CARDS.approves) =>
    checkoutBody(productId, who.addressId, quantity, { ...APPROVED_CARD, number: card });

  /** Checkout with a generous client timeout: a saga under load may take longer than plain calls. */
  async function checkout(who: Buyer, payload: unknown, key: string = randomUUID(), headers: Record<string, string> = {}) {
    const response = await fetch(`${stack.urls.gateway}/api/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${who.token}`,
        'idempotency-key': key,
        'x-forwarded-for': who.client.forwardedFor,
        ...headers,
      },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    return { status: response.status, text, order: () => JSON.parse(text) as Order };
  }

  const getOrder = async (who: Buyer, id: string) => {
    const res = await who.client.call('GET', `/api/orders/${id}`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    return res.json<Order>();
  };

  const chargesFor = async (orderId: string) =>
    (
      await payments.query<{ status: string; refunded_minor: string }>(
        'SELECT status, refunded_minor FROM charges WHERE order_id = $1',
        [orderId],
      )
    ).rows;

  it('lists products, checks out, and sees the order paid at catalog’s price with the stock reduced', async () => {
    const ann = await buyer();
    const mug = await product(5);
    const listed = await ann.client.call('GET', `/api/products?category=${category}&sort=-created`);
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.json<{ items: Array<{ id: string }> }>().items.some((p) => p.id === mug));

    const res = await checkout(ann, body(ann, mug, 2));
    assert.equal(res.status, 201, res.text);
    const order = res.order();
    assert.equal(order.status, 'paid', res.text);
    assert.equal(order.totalMinor, 2 * PRICE);
    assert.equal(order.currency, 'EUR');
    assert.deepEqual(
      order.lines.map((l) => [l.productId, l.quantity, l.unitPriceMinor]),
      [[mug, 2, PRICE]],
    );
    assert.equal(await stockOf(mug), 3);
    assert.deepEqual(await chargesFor(order.id), [{ status: 'succeeded', refunded_minor: '0' }]);

    const history = await ann.client.call('GET', '/api/orders?limit=5', { token: ann.token });
    assert.equal(history.json<{ items: Order[] }>().items[0]?.id, order.id);
    assert.equal((await getOrder(ann, order.id)).timeline.at(-1)?.status, 'paid');
  });

  it('shows one checkout as one trace across gateway, orders, users, catalog, inventory, payments and the notification', async () => {
    const ann = await buyer();
    const mug = await product(2);
    const traceId = randomBytes(16).toString('hex');
    const res = await checkout(ann, body(ann, mug), randomUUID(), {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    assert.equal(res.order().status, 'paid', res.text);
    type Trace = {
      spans: Array<{ processID: string; operationName: string }>;
      processes: Record<string, { serviceName: string }>;
    };
    const wanted = ['gateway', 'orders', 'users', 'catalog', 'inventory', 'payments', 'notifications'];
    const inventoryCalls = (trace: Trace | undefined, method: string) =>
      trace?.spans.filter((s) => s.operationName.endsWith(`InventoryService/${method}`)).length ?? 0;
    let seen: string[] = [];
    const trace = await eventually(
      `one trace with ${wanted.join(', ')}, Reserve and Commit`,
      async () => {
        const r = await fetch(`${stack.urls.jaeger}/api/traces/${traceId}`);
        const found = r.ok ? ((await r.json()) as { data: Trace[] }).data[0] : undefined;
        seen = [...new Set(found?.spans.map((s) => found.processes[s.processID]?.serviceName ?? '') ?? [])];
        const whole = wanted.every((name) => seen.includes(name));
        return whole && inventoryCalls(found, 'Reserve') > 0 && inventoryCalls(found, 'Commit') > 0 ? found : undefined;
      },
      60_000,
    ).catch((err: Error) => assert.fail(`${err.message}; the trace has ${seen.join(', ')}`));
    // The prices read before the order are the existence check: inventory is asked to move stock, nothing else.
    assert.equal(inventoryCalls(trace, 'CheckStock'), 0, 'no CheckStock in a checkout');
  });

  it('refuses client prices, unknown products and someone else’s address with 4xx, writing nothing', async () => {
    const ann = await buyer();
    const bob = await buyer();
    const mug = await product(5);
    const priced = { ...body(ann, mug), items: [{ productId: mug, quantity: 1, unitPriceMinor: 1 }] };
    assert.equal((await checkout(ann, priced)).status, 400);
    assert.equal((await checkout(ann, body(ann, 'no-such-product'))).status, 422);
    assert.equal((await checkout(ann, { ...body(ann, mug), shippingAddressId: bob.addressId })).status, 422);
    assert.equal((await checkout(ann, { ...body(ann, mug), items: [{ productId: mug, quantity: -1 }] })).status, 400);
    const history = await ann.client.call('GET', '/api/orders', { token: ann.token });
    assert.equal(history.json<{ total: number }>().total, 0);
    assert.equal(await stockOf(mug), 5);
  });

  it('fails a declined card with the reason, restores the stock and keeps no charge', async () => {
    const ann = await buyer();
    const mug = await product(4);
    const res = await checkout(ann, body(ann, mug, 3, CARDS.declines));
    assert.equal(res.status, 201, res.text);
    const order = res.order();
    assert.equal(order.status, 'failed');
    assert.equal(order.reason, 'card declined');
    assert.equal(await stockOf(mug), 4);
    assert.deepEqual(
      (await chargesFor(order.id)).map((c) => c.status),
      ['failed'],
    );
  });

  it('never oversells: 50 concurrent checkouts for 10 in stock end 10 paid, 40 out of stock', async () => {
    const buyers = await Promise.all(Array.from({ length: 5 }, () => buyer()));
    const mug = await product(10);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const who = buyers[i % buyers.length] as Buyer;
        return checkout(who, body(who, mug));
      }),
    );
    // 202: the saga outlasted orders' wait (inventory queues the stock moves of one product);
    // such an order is followed until it ends.
    for (const r of results) assert.ok([201, 202].includes(r.status), r.text);
    const placed = await Promise.all(
      results.map(async (r, i) => {
        const order = r.order();
        if (order.status !== 'pending') return order;
        const who = buyers[i % buyers.length] as Buyer;
        return eventually('the order to end', async () => {
          const now = await getOrder(who, order.id);
          return now.status === 'pending' ? undefined : now;
        });
      }),
    );
    const paid = placed.filter((o) => o.status === 'paid');
    const failed = placed.filter((o) => o.status === 'failed');
    assert.equal(paid.length, 10, JSON.stringify(placed.map((o) => o.reason ?? o.status)));
    assert.equal(failed.length, 40);
    for (const o of failed) assert.match(o.reason ?? '', /^out of stock/);
    assert.equal(await stockOf(mug), 0);
    const charged = await payments.query<{ n: string }>(
      "SELECT count(*) AS n FROM charges WHERE order_id = ANY($1) AND status = 'succeeded'",
      [placed.map((o) => o.id)],
    );
    assert.equal(Number(charged.rows[0]?.n), 10);
  });

  it('gives one order and one charge for one Idempotency-Key, repeated and concurrent', async () => {
    const ann = await buyer();
    const mug = await product(10);
    const key = randomUUID();
    const first = await checkout(ann, body(ann, mug), key);
    const again = await checkout(ann, body(ann, mug), key);
    assert.deepEqual([first.status, again.status], [201, 200]);
    assert.equal(again.order().id, first.order().id);
    assert.equal((await checkout(ann, body(ann, mug, 2), key)).status, 422);

    const concurrentKey = randomUUID();
    const together = await Promise.all(Array.from({ length: 6 }, () => checkout(ann, body(ann, mug), concurrentKey)));
    assert.deepEqual(together.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
    const ids = new Set(together.map((r) => r.order().id));
    assert.equal(ids.size, 1);
    for (const id of [first.order().id, ...ids]) assert.equal((await chargesFor(id)).length, 1);
    assert.equal(await stockOf(mug), 8);
  });

  it('cancels a paid order: refunds it and returns the stock', async () => {
    const ann = await buyer();
    const mug = await product(3);
    const order = (await checkout(ann, body(ann, mug, 2))).order();
    assert.equal(order.status, 'paid');
    const cancelled = await ann.client.call('POST', `/api/orders/${order.id}/cancel`, { token: ann.token });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json<Order>().status, 'cancelled');
    assert.deepEqual(await chargesFor(order.id), [{ status: 'succeeded', refunded_minor: String(2 * PRICE) }]);
    // inventory returns sold stock when it receives order.cancelled.
    await eventually('stock returned', async () => ((await stockOf(mug)) === 3 ? true : undefined));
  });

  /**
   * Kills `service` (SIGKILL) while a checkout waits on the slow card, after Reserve and
   * before Commit, starts it again, and checks that the order ends paid or compensated
   * with the stock adding up.
   */
  async function crashMidCheckout(service: 'orders' | 'inventory'): Promise<void> {
    const ann = await buyer();
    const mug = await product(5);
    // The slow card keeps the saga in its payment step for 3 s.
    const inFlight = checkout(ann, body(ann, mug, 1, CARDS.slow)).catch((err: unknown) => err);
    const orderId = await eventually('the order in its payment step', async () => {
      const { rows } = await orders.query<{ id: string }>(
        "SELECT o.id FROM orders o WHERE o.step = 'charging' AND o.items @> $1::jsonb",
        [JSON.stringify([{ productId: mug }])],
      );
      return rows[0]?.id;
    });
    const app = stack.processes().find((p) => p.name === service && p.kind === 'app');
    assert.ok(app, `${service} runs`);
    // stopService begins a graceful stop; the SIGKILL right after makes it a crash instead.
    const stopped = stack.stopService(service);
    process.kill(app.pid, 'SIGKILL');
    await stopped;
    await stack.startService(service);
    await inFlight;

    const settled = await eventually(
      'the interrupted order to settle',
      async () => {
        const order = await getOrder(ann, orderId);
        return order.status === 'pending' ? undefined : order;
      },
      60_000,
    );
    assert.ok(['paid', 'failed'].includes(settled.status), settled.status);
    if (settled.status === 'paid') {
      assert.deepEqual(await stockLevel(mug), { available: 4, held: 0 });
      assert.deepEqual(await chargesFor(orderId), [{ status: 'succeeded', refunded_minor: '0' }]);
    } else {
      // Compensated: the stock is back, and a charge that went through is refunded.
      await eventually('compensation to finish', async () => {
        const charges = await chargesFor(orderId);
        const refunded = charges.every((c) => c.status === 'failed' || Number(c.refunded_minor) === PRICE);
        const level = await stockLevel(mug);
        return refunded && level.available === 5 && level.held === 0 ? true : undefined;
      });
    }
  }

  it('finishes or compensates a checkout whose orders process was killed mid-saga, never leaving it pending', () =>
    crashMidCheckout('orders'));

  it('ends a checkout paid or compensated when inventory is killed between Reserve and Commit, and the stock adds up', () =>
    crashMidCheckout('inventory'));

  it('loses no event while RabbitMQ is down: the outboxes deliver everything once it is back', async function () {
    this.timeout(240_000);
    const who = await buyer();
    const mug = await product(10);
    await stack.stopInfra('rabbitmq');
    const paid: string[] = [];
    try {
      // The saga needs no broker: checkouts still complete; their events wait in outboxes.
      for (let i = 0; i < 3; i++) {
        const res = await checkout(who, body(who, mug));
        assert.equal(res.status, 201, res.text);
        assert.equal(res.order().status, 'paid');
        paid.push(res.order().id);
      }
      const held = await orders.query<{ n: string }>(
        "SELECT count(*) AS n FROM outbox WHERE topic = 'order.paid' AND published_at IS NULL AND envelope->'data'->>'orderId' = ANY($1)",
        [paid],
      );
      assert.ok(Number(held.rows[0]?.n) > 0, 'with the broker down, order.paid events wait in the outbox');
    } finally {
      await stack.startInfra('rabbitmq');
    }
    await eventually(
      'every order.paid to be published',
      async () => {
        const { rows } = await orders.query<{ n: string }>(
          "SELECT count(*) AS n FROM outbox WHERE topic = 'order.paid' AND published_at IS NOT NULL AND envelope->'data'->>'orderId' = ANY($1)",
          [paid],
        );
        return Number(rows[0]?.n) === paid.length ? true : undefined;
      },
      120_000,
    );
    // Delivered, not just published: notifications turned each into an in-app notification.
    await eventually(
      'a notification for every paid order',
      async () => {
        const res = await who.client.call('GET', '/api/notifications?limit=50', { token: who.token });
        if (res.status !== 200) return undefined;
        const kinds = res.json<{ items: Array<{ kind: string }> }>().items.filter((n) => n.kind === 'order_paid');
        return kinds.length === paid.length ? true : undefined;
      },
      120_000,
    );
  });
});
