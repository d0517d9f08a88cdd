/**
 * The saga fault matrix: the checkout saga on the real local stack with one process (or
 * its sidecar) SIGKILLed at a point of the saga, restarted, and left to recover. The
 * points are found from the databases (orders' step, payments' charge rows) with the
 * fault flags widening the windows (payments made slow), not from hooks in the code.
 * After each row the invariants are checked over the databases, for every order of the
 * run, not per story: no order left in a non-final state; Σ successful charges − Σ
 * refunds = Σ totals of paid orders; for each product, initial stock = available + held +
 * sold at inventory, with nothing held once every order is final; no live hold belongs to
 * an order that did not end paid; every charge of such an order is refunded exactly once.
 * Prints the point × process → outcome table at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createPool } from '@meshmart/kit';
import type { ServiceName } from '@meshmart/kit/topology';
import { clearFlags, eventually, infraUrls, type StackHandle, setFlag, startStack } from '@meshmart/stack';
import type pg from 'pg';
import { checkoutSetup, GatewayClient } from '../e2e/support.ts';

const ADMIN = { email: `admin-${randomBytes(4).toString('hex')}@meshmart.test`, password: randomBytes(12).toString('hex') };
const PRICE = 900;
const STOCK = 10;
/** Lease 4 s, recovery every second, a late charge refunded: well inside this. */
const RECOVERY_MS = 120_000;

interface Ctx {
  productId: string;
  /**
   * Makes every charge take this long (the `payments.latency-ms` flag). The invariants are
   * judged only once a charge started last would have landed, so a late charge cannot
   * arrive after they were found to hold.
   */
  slowPayments(ms: number): Promise<void>;
  /** Starts a checkout of one unit without waiting for it. */
  checkout(): void;
  /** Waits until an order of this row's product is at `step`; resolves its id. */
  atStep(step: string): Promise<string>;
  /** Waits until payments holds a charge row for the order. */
  charged(orderId: string): Promise<void>;
  crash(name: ServiceName, part: 'app' | 'sidecar'): Promise<void>;
  restart(name: ServiceName, part: 'app' | 'sidecar'): Promise<void>;
}

interface Row {
  point: string;
  process: string;
  run(ctx: Ctx): Promise<void>;
}

const rows: Row[] = [
  {
    point: 'after Reserve, charge in flight',
    process: 'orders (SIGKILL)',
    async run(ctx) {
      await ctx.slowPayments(3_000);
      ctx.checkout();
      await ctx.atStep('charging');
      await ctx.crash('orders', 'app');
      await ctx.restart('orders', 'app');
    },
  },
  {
    point: 'after Reserve, charge in flight',
    process: 'orders daprd (SIGKILL)',
    async run(ctx) {
      await ctx.slowPayments(3_000);
      ctx.checkout();
      await ctx.atStep('charging');
      await ctx.crash('orders', 'sidecar');
      await ctx.restart('orders', 'sidecar');
    },
  },
  {
    point: 'payments committed the charge, orders had not recorded it',
    process: 'orders (SIGKILL)',
    async run(ctx) {
      await ctx.slowPayments(1_500);
      ctx.checkout();
      const orderId = await ctx.atStep('charging');
      await ctx.charged(orderId);
      await ctx.crash('orders', 'app');
      await ctx.restart('orders', 'app');
    },
  },
  {
    point: 'during Commit (stock holder down from the charge on)',
    process: 'inventory (SIGKILL)',
    async run(ctx) {
      await ctx.slowPayments(2_000);
      ctx.checkout();
      await ctx.atStep('charging');
      await ctx.crash('inventory', 'app');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await ctx.restart('inventory', 'app');
    },
  },
  {
    point: 'ambiguous timeout (payments slower than the deadline)',
    process: 'orders (SIGKILL)',
    async run(ctx) {
      // Above three 5 s tries: orders gives up, the charge lands later and must be refunded.
      await ctx.slowPayments(20_000);
      ctx.checkout();
      await ctx.atStep('charging');
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await ctx.crash('orders', 'app');
      await ctx.restart('orders', 'app');
    },
  },
  {
    point: 'late charge landed, refund in compensation pending',
    process: 'payments (SIGKILL)',
    async run(ctx) {
      await ctx.slowPayments(20_000);
      ctx.checkout();
      const orderId = await ctx.atStep('charging');
      await ctx.charged(orderId);
      await ctx.crash('payments', 'app');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await ctx.restart('payments', 'app');
    },
  },
];

describe('saga fault matrix (local stack)', function () {
  this.timeout(600_000);
  let stack: StackHandle;
  let client: GatewayClient;
  let adminToken: string;
  let buyerToken: string;
  let addressId: string;
  let category: string;
  let orders: pg.Pool;
  let payments: pg.Pool;
  let inventory: pg.Pool;
  const started = new Date();
  const products: string[] = [];
  const table: Array<Record<string, string>> = [];

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      env: {
        gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '100000', RATE_LIMIT_API_MAX: '100000' },
        users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
        orders: { SAGA_LEASE_SECONDS: '4', RECOVERY_INTERVAL_MS: '1000' },
      },
    });
    await clearFlags();
    orders = createPool(infraUrls.postgres('orders'), 2);
    payments = createPool(infraUrls.postgres('payments'), 2);
    inventory = createPool(infraUrls.postgres('inventory'), 2);
    client = new GatewayClient(stack.urls.gateway);
    ({ adminToken, buyerToken, addressId, category } = await checkoutSetup(client, ADMIN, 'Matrix'));
  });

  after(async () => {
    if (table.length > 0) {
      process.stdout.write('\n  saga fault matrix: point × process → outcome, invariants after recovery\n');
      console.table(table);
    }
    await clearFlags().catch(() => undefined);
    await orders?.end();
    await payments?.end();
    await inventory?.end();
    await stack?.stop();
  });

  /** What inventory, which holds the stock, has available and held for the product. */
  async function stockOf(productId: string): Promise<{ available: number; held: number }> {
    const res = await client.call('GET', `/api/products/${productId}/stock`, { token: adminToken });
    assert.equal(res.status, 200, res.text);
    return res.json<{ available: number; held: number }>();
  }

  async function newProduct(name: string, stock: number): Promise<string> {
    const res = await client.call('POST', '/api/products', {
      token: adminToken,
      body: { name: `${name} ${randomBytes(3).toString('hex')}`, category, priceMinor: PRICE, currency: 'EUR' },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.json<{ id: string }>().id;
    const stocked = await client.call('PUT', `/api/products/${id}/stock`, { token: adminToken, body: { stock } });
    assert.equal(stocked.status, 200, stocked.text);
    return id;
  }

  /** Every invariant that does not hold now, over every order of this run. */
  async function violations(): Promise<string[]> {
    const found: string[] = [];
    const { rows: mine } = await orders.query<{ id: string; status: string; total_minor: string; items: unknown }>(
      `SELECT id, status, total_minor, items FROM orders WHERE created_at >= $1 AND EXISTS (
         SELECT 1 FROM jsonb_array_elements(items) i WHERE i->>'productId' = ANY($2))`,
      [started, products],
    );
    for (const o of mine) if (!['paid', 'failed', 'cancelled'].includes(o.status)) found.push(`order ${o.id} is ${o.status}`);
    const ids = mine.map((o) => o.id);
    const { rows: charges } = await payments.query<{
      id: string;
      order_id: string;
      status: string;
      amount_minor: string;
      refunded_minor: string;
      refunds: string;
    }>(
      `SELECT c.id, c.order_id, c.status, c.amount_minor, c.refunded_minor,
              (SELECT count(*) FROM refunds r WHERE r.charge_id = c.id) AS refunds
         FROM charges c WHERE c.order_id = ANY($1)`,
      [ids],
    );
    const succeeded = charges.filter((c) => c.status === 'succeeded');
    const net = succeeded.reduce((sum, c) => sum + Number(c.amount_minor) - Number(c.refunded_minor), 0);
    const paidTotal = mine.filter((o) => o.status === 'paid').reduce((sum, o) => sum + Number(o.total_minor), 0);
    if (net !== paidTotal) found.push(`Σ charges − Σ refunds = ${net}, Σ paid orders = ${paidTotal}`);
    for (const o of mine) {
      const own = succeeded.filter((c) => c.order_id === o.id);
      if (o.status === 'paid' && (own.length !== 1 || own.some((c) => Number(c.refunded_minor) !== 0))) {
        found.push(`paid order ${o.id} has ${own.length} charges, refunded ${own.map((c) => c.refunded_minor).join('/')}`);
      }
      if (o.status !== 'paid') {
        for (const c of own) {
          if (Number(c.refunded_minor) !== Number(c.amount_minor) || Number(c.refunds) !== 1) {
            found.push(`charge ${c.id} of ${o.status} order ${o.id}: refunded ${c.refunded_minor} in ${c.refunds} refunds`);
          }
        }
      }
    }
    for (const productId of products) {
      const sold = mine
        .filter((o) => o.status === 'paid')
        .flatMap((o) => o.items as Array<{ productId: string; quantity: number }>)
        .filter((i) => i.productId === productId)
        .reduce((sum, i) => sum + i.quantity, 0);
      const { available, held } = await stockOf(productId);
      if (available + held + sold !== STOCK) {
        found.push(`${productId}: available ${available} + held ${held} + sold ${sold} ≠ ${STOCK}`);
      }
      if (held !== 0) found.push(`${productId}: ${held} still held with every order final`);
    }
    const unpaid = mine.filter((o) => o.status !== 'paid').map((o) => o.id);
    const { rows: holds } = await inventory.query<{ id: string }>(
      "SELECT id FROM reservations WHERE status = 'held' AND id = ANY($1)",
      [unpaid],
    );
    for (const h of holds) found.push(`a live hold belongs to order ${h.id}, which did not end paid`);
    return found;
  }

  it('the invariants catch an order left pending and stock that went missing', async () => {
    // A product nobody bought but whose stock is one short: the stock invariant must say so.
    const id = await newProduct('Short mug', STOCK - 1);
    products.push(id);
    try {
      assert.deepEqual(await violations(), [`${id}: available ${STOCK - 1} + held 0 + sold 0 ≠ ${STOCK}`]);
    } finally {
      products.pop();
    }
  });

  for (const row of rows) {
    it(`${row.point} × ${row.process}: recovers with every invariant holding`, async () => {
      const productId = await newProduct('Matrix mug', STOCK);
      products.push(productId);
      const inFlight: Array<Promise<unknown>> = [];
      let latencyMs = 0;
      let lastCheckout = Date.now();
      const ctx: Ctx = {
        productId,
        async slowPayments(ms) {
          await setFlag('payments.latency-ms', String(ms));
          latencyMs = ms;
        },
        checkout() {
          lastCheckout = Date.now();
          inFlight.push(
            fetch(`${stack.urls.gateway}/api/orders`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${buyerToken}`,
                'idempotency-key': randomUUID(),
                'x-forwarded-for': client.forwardedFor,
              },
              body: JSON.stringify({
                items: [{ productId, quantity: 1 }],
                shippingAddressId: addressId,
                card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
              }),
              signal: AbortSignal.timeout(60_000),
            }).then(
              (r) => r.arrayBuffer(),
              // The crash may take the answer with it: the databases tell what happened.
              (err: unknown) => err,
            ),
          );
        },
        atStep: (step) =>
          eventually(`an order at ${step}`, async () => {
            const { rows: found } = await orders.query<{ id: string }>(
              'SELECT id FROM orders WHERE step = $1 AND items @> $2::jsonb',
              [step, JSON.stringify([{ productId }])],
            );
            return found[0]?.id;
          }),
        charged: async (orderId) => {
          await eventually(
            `payments to commit the charge of ${orderId}`,
            async () => {
              const { rows: found } = await payments.query('SELECT 1 FROM charges WHERE order_id = $1', [orderId]);
              return found.length > 0 ? true : undefined;
            },
            60_000,
          );
        },
        async crash(name, part) {
          const label = part === 'app' ? name : `${name}.daprd`;
          const proc = stack.processes().find((p) => p.name === label);
          assert.ok(proc, `${label} runs`);
          // stop* begins a graceful stop; the SIGKILL right after makes it a crash instead.
          const stopped = part === 'app' ? stack.stopService(name) : stack.stopSidecar(name);
          process.kill(proc.pid, 'SIGKILL');
          await stopped;
        },
        restart: (name, part) => (part === 'app' ? stack.startService(name) : stack.startSidecar(name)),
      };
      try {
        await row.run(ctx);
      } finally {
        await clearFlags();
      }
      await Promise.all(inFlight);
      // A charge the flag held back may still land; judge only once it could have.
      const landed = lastCheckout + latencyMs + 2000 - Date.now();
      if (landed > 0) await new Promise((resolve) => setTimeout(resolve, landed));
      const recoveryStarted = Date.now();
      let left: string[] = [];
      while (Date.now() - recoveryStarted < RECOVERY_MS) {
        left = await violations();
        if (left.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const { rows: outcome } = await orders.query<{ status: string; reason: string | null }>(
        'SELECT status, reason FROM orders WHERE items @> $1::jsonb',
        [JSON.stringify([{ productId }])],
      );
      table.push({
        point: row.point,
        process: row.process,
        outcome: outcome.map((o) => `${o.status}${o.reason ? ` (${o.reason})` : ''}`).join(', '),
        invariants: left.length === 0 ? `hold after ${((Date.now() - recoveryStarted) / 1000).toFixed(1)} s` : 'BROKEN',
      });
      assert.deepEqual(left, [], `${row.point} × ${row.process}`);
    });
  }
});
