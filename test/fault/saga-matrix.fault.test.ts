/**
 * The saga fault matrix: the checkout saga on the real local stack with one process (or
 * its sidecar) SIGKILLed at a point of the saga, restarted, and left to recover. Each
 * point is reached exactly and checked in the databases at the moment of the kill: the
 * fault flags hold the saga there (`payments.latency-ms` keeps a charge in flight,
 * `payments.answer-delay-ms` holds the answer to a charge or refund that payments has
 * already written, `inventory.commit-delay-ms` the answer to a Commit inventory has
 * written), and the row asserts what payments, inventory and orders hold before it kills.
 * After each row the invariants are checked over the databases, for every order of the
 * run, not per story: no order left in a non-final state; Σ successful charges − Σ
 * refunds = Σ totals of paid orders; for each product, initial stock = available + held +
 * sold at inventory, with nothing held once every order is final; no live hold belongs to
 * an order that did not end paid; every charge of such an order is refunded exactly once.
 *
 * Every row runs twice: first on a wiped `.data/` (fresh databases and queues), then on
 * the `.data/` that pass left behind, with a new stack started on it. Prints the
 * data × point × process → outcome table, with the state at the kill and each row's
 * time, and the level's wall time.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createPool } from '@meshmart/kit';
import type { ServiceName } from '@meshmart/kit/topology';
import { clearFlags, infraUrls, type StackHandle, setFlag, stopInfraStartedHere } from '@meshmart/stack';
import { checkoutSetup, eventually, followed, GatewayClient, newAdmin, startGatewayStack } from '@meshmart/test-support';
import type pg from 'pg';

const ADMIN = newAdmin();
const PRICE = 900;
const STOCK = 10;
/** Lease 4 s, recovery every second, a late charge refunded: well inside this. */
const RECOVERY_MS = 120_000;
/** Holds an answer payments has written: inside orders' 5 s deadline, so the hold alone fails nothing. */
const ANSWER_HOLD_MS = 4_000;
/** Holds a Commit inventory has written: inside orders' 15 s inventory deadline. */
const COMMIT_HOLD_MS = 4_000;
/** Above three 5 s tries: orders gives up, the charge lands later and must be refunded. */
const PAST_THE_DEADLINE_MS = 20_000;
const dataDir = fileURLToPath(new URL('../../.data', import.meta.url));

/** What the databases hold for one order at one moment. */
interface OrderState {
  step: string;
  status: string;
  paymentId: string | null;
  refundedMinor: number;
  /** payments' charge rows for the order, and the refunds written against them. */
  charges: number;
  refunds: number;
  /** inventory's reservation for the order (its id is the order id): held, committed, released… */
  reservation: string | null;
}

interface Ctx {
  /** Makes every charge take this long at the processor, before anything is written. */
  slowPayments(ms: number): Promise<void>;
  /** Holds every charge's and refund's answer this long after payments wrote it. */
  holdAnswers(ms: number): Promise<void>;
  /** Holds every Commit's answer this long after inventory wrote it. */
  holdCommits(ms: number): Promise<void>;
  /** Starts a checkout of one unit without waiting for it. */
  checkout(): void;
  /** Waits until an order of this row's product is at `step`; resolves its id. */
  atStep(step: string): Promise<string>;
  state(orderId: string): Promise<OrderState>;
  /** Waits until the order's state passes `check`; resolves it. */
  until(what: string, orderId: string, check: (s: OrderState) => boolean, timeoutMs?: number): Promise<OrderState>;
  crash(name: ServiceName, part: 'app' | 'sidecar'): Promise<void>;
  restart(name: ServiceName, part: 'app' | 'sidecar'): Promise<void>;
}

interface Row {
  point: string;
  process: string;
  /** Drives the saga to the point, kills, restarts; resolves the state found at the kill. */
  run(ctx: Ctx): Promise<string>;
}

const describeState = (s: OrderState) =>
  `order ${s.status}/${s.step}${s.paymentId ? ', charge recorded' : ''}${s.refundedMinor ? `, refunded ${s.refundedMinor}` : ''}; ` +
  `payments: ${s.charges} charge(s), ${s.refunds} refund(s); stock ${s.reservation ?? 'not reserved'}`;

/** Kill while the charge is in flight: reserved, nothing written at payments yet. */
function chargeInFlight(process: string, name: ServiceName, part: 'app' | 'sidecar'): Row {
  return {
    point: 'after Reserve, charge in flight',
    process,
    async run(ctx) {
      await ctx.slowPayments(3_000);
      ctx.checkout();
      const orderId = await ctx.atStep('charging');
      const at = await ctx.state(orderId);
      assert.equal(at.charges, 0, `no charge written yet: ${describeState(at)}`);
      await ctx.crash(name, part);
      await ctx.restart(name, part);
      return describeState(at);
    },
  };
}

/** Kill once payments has written the charge and before orders has heard of it. */
function chargeUnrecorded(process: string, name: ServiceName, part: 'app' | 'sidecar'): Row {
  return {
    point: 'payments committed the charge, orders had not recorded it',
    process,
    async run(ctx) {
      await ctx.holdAnswers(ANSWER_HOLD_MS);
      ctx.checkout();
      const orderId = await ctx.atStep('charging');
      const at = await ctx.until('the charge written, not recorded', orderId, (s) => s.charges === 1);
      assert.equal(at.step, 'charging', describeState(at));
      assert.equal(at.paymentId, null, `orders has not recorded the charge: ${describeState(at)}`);
      await ctx.crash(name, part);
      await ctx.restart(name, part);
      return describeState(at);
    },
  };
}

/** Kill once inventory has written the Commit and before orders has heard of it. */
function commitUnanswered(process: string, part: 'app' | 'sidecar'): Row {
  return {
    point: 'during Commit (inventory committed, orders not told)',
    process,
    async run(ctx) {
      await ctx.holdCommits(COMMIT_HOLD_MS);
      ctx.checkout();
      const orderId = await ctx.atStep('committing');
      const at = await ctx.until('the Commit written, not answered', orderId, (s) => s.reservation === 'committed');
      assert.equal(at.step, 'committing', `orders is waiting on Commit: ${describeState(at)}`);
      assert.equal(at.status, 'pending', `orders has not recorded the Commit: ${describeState(at)}`);
      assert.equal(at.charges, 1, `the charge went through: ${describeState(at)}`);
      await ctx.crash('inventory', part);
      await ctx.restart('inventory', part);
      return describeState(at);
    },
  };
}

/**
 * Kill while compensation is refunding: orders gave up on a charge slower than its
 * deadline, the charge landed late, and payments has written the refund but not answered.
 */
function refundInCompensation(process: string, name: ServiceName, part: 'app' | 'sidecar'): Row {
  return {
    point: 'during a refund in compensation',
    process,
    async run(ctx) {
      await ctx.slowPayments(PAST_THE_DEADLINE_MS);
      await ctx.holdAnswers(ANSWER_HOLD_MS);
      ctx.checkout();
      const orderId = await ctx.atStep('charging');
      const at = await ctx.until('the refund written, not recorded', orderId, (s) => s.refunds === 1, 90_000);
      assert.equal(at.step, 'refunding', `orders is refunding: ${describeState(at)}`);
      assert.equal(at.refundedMinor, 0, `orders has not recorded the refund: ${describeState(at)}`);
      await ctx.crash(name, part);
      await ctx.restart(name, part);
      return describeState(at);
    },
  };
}

// Orders' sidecar opens its breaker to payments after five failed charges in a row and
// keeps it open 15 s; a row whose charges time out is followed by one whose charge goes
// through, and every row starts with a paid checkout (servesCheckouts).
const rows: Row[] = [
  chargeInFlight('orders (SIGKILL)', 'orders', 'app'),
  chargeInFlight('orders daprd (SIGKILL)', 'orders', 'sidecar'),
  chargeUnrecorded('orders (SIGKILL)', 'orders', 'app'),
  chargeUnrecorded('payments daprd (SIGKILL)', 'payments', 'sidecar'),
  commitUnanswered('inventory (SIGKILL)', 'app'),
  {
    point: 'ambiguous timeout (payments slower than the deadline)',
    process: 'orders (SIGKILL)',
    async run(ctx) {
      await ctx.slowPayments(PAST_THE_DEADLINE_MS);
      ctx.checkout();
      const orderId = await ctx.atStep('charging');
      // Past the first 5 s try: orders is retrying a charge that has not landed.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const at = await ctx.state(orderId);
      assert.equal(at.step, 'charging', `orders is still trying to charge: ${describeState(at)}`);
      assert.equal(at.charges, 0, `the charge has not landed: ${describeState(at)}`);
      await ctx.crash('orders', 'app');
      await ctx.restart('orders', 'app');
      return describeState(at);
    },
  },
  commitUnanswered('inventory daprd (SIGKILL)', 'sidecar'),
  refundInCompensation('orders (SIGKILL)', 'orders', 'app'),
  refundInCompensation('payments (SIGKILL)', 'payments', 'app'),
];

const passes = [
  {
    data: 'clean',
    // Servers an earlier level of this run left up would keep their deleted files open (or die of it): stop them first.
    prepare: async () => {
      await stopInfraStartedHere();
      await rm(dataDir, { recursive: true, force: true });
    },
  },
  { data: 'reused', prepare: async () => {} },
] as const;

describe('saga fault matrix (local stack)', function () {
  this.timeout(600_000);
  const table: Array<Record<string, string>> = [];
  const levelStarted = performance.now();
  /** Products of every row so far: the invariants cover all their orders. */
  const products: string[] = [];
  const started = new Date();

  after(() => {
    if (table.length === 0) return;
    process.stdout.write('\n  saga fault matrix: data × point × process → outcome, invariants after recovery\n');
    console.table(table);
    process.stdout.write(`  fault level wall time: ${((performance.now() - levelStarted) / 1000).toFixed(0)} s\n`);
  });

  for (const pass of passes) {
    describe(`on a ${pass.data} .data/`, () => {
      let stack: StackHandle;
      let client: GatewayClient;
      let adminToken: string;
      let buyerToken: string;
      let addressId: string;
      let category: string;
      let orders: pg.Pool;
      let payments: pg.Pool;
      let inventory: pg.Pool;

      before(async function () {
        this.timeout(300_000);
        await pass.prepare();
        stack = await startGatewayStack({
          admin: ADMIN,
          env: { orders: { SAGA_LEASE_SECONDS: '4', RECOVERY_INTERVAL_MS: '1000' } },
        });
        await clearFlags();
        orders = createPool(infraUrls.postgres('orders'), 2);
        payments = createPool(infraUrls.postgres('payments'), 2);
        inventory = createPool(infraUrls.postgres('inventory'), 2);
        client = new GatewayClient(stack.urls.gateway);
        ({ adminToken, buyerToken, addressId, category } = await checkoutSetup(client, ADMIN, 'Matrix'));
      });

      after(async () => {
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

      /**
       * Before a row: a checkout of a product of its own is paid end to end. A restarted
       * sidecar takes a few seconds to be reachable again and orders' breaker to payments
       * stays open 15 s, so a row must not start on what the row before left behind. Its
       * orders count in the invariants like any other.
       */
      async function servesCheckouts(): Promise<void> {
        const id = await eventually('a product to be created and stocked', async () => {
          const res = await client.call('POST', '/api/products', {
            token: adminToken,
            body: { name: `Canary mug ${randomBytes(3).toString('hex')}`, category, priceMinor: PRICE, currency: 'EUR' },
          });
          if (res.status !== 201) return undefined;
          const created = res.json<{ id: string }>().id;
          const stocked = await client.call('PUT', `/api/products/${created}/stock`, {
            token: adminToken,
            body: { stock: STOCK },
          });
          return stocked.status === 200 ? created : undefined;
        });
        products.push(id);
        const deadline = Date.now() + RECOVERY_MS;
        let last = '';
        while (Date.now() < deadline) {
          const res = await client.call('POST', '/api/orders', {
            token: buyerToken,
            headers: { 'idempotency-key': randomUUID() },
            body: {
              items: [{ productId: id, quantity: 1 }],
              shippingAddressId: addressId,
              card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
            },
          });
          if (res.status === 201 && res.json<{ status: string }>().status === 'paid') return;
          last = `${res.status} ${res.text}`;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        assert.fail(`no checkout was paid within ${RECOVERY_MS / 1000} s: ${last}`);
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

      if (pass.data === 'clean') {
        it('the invariants catch stock that went missing', async () => {
          // A product nobody bought but whose stock is one short: the stock invariant must say so.
          const id = await newProduct('Short mug', STOCK - 1);
          products.push(id);
          try {
            assert.deepEqual(await violations(), [`${id}: available ${STOCK - 1} + held 0 + sold 0 ≠ ${STOCK}`]);
          } finally {
            products.pop();
          }
        });
      }

      for (const row of rows) {
        it(`${row.point} × ${row.process}: recovers with every invariant holding`, async () => {
          const rowStarted = performance.now();
          await servesCheckouts();
          const productId = await newProduct('Matrix mug', STOCK);
          products.push(productId);
          const inFlight: Array<Promise<unknown>> = [];
          const down: Array<{ name: ServiceName; part: 'app' | 'sidecar' }> = [];
          let heldBackMs = 0;
          let lastCheckout = Date.now();
          const state = async (orderId: string): Promise<OrderState> => {
            const { rows: o } = await orders.query<{
              step: string;
              status: string;
              payment_id: string | null;
              refunded_minor: string;
            }>('SELECT step, status, payment_id, refunded_minor FROM orders WHERE id = $1', [orderId]);
            const { rows: p } = await payments.query<{ charges: string; refunds: string }>(
              `SELECT count(*) AS charges,
                      (SELECT count(*) FROM refunds r JOIN charges c ON c.id = r.charge_id WHERE c.order_id = $1) AS refunds
                 FROM charges WHERE order_id = $1`,
              [orderId],
            );
            const { rows: r } = await inventory.query<{ status: string }>('SELECT status FROM reservations WHERE id = $1', [
              orderId,
            ]);
            const order = o[0];
            assert.ok(order, `order ${orderId} exists`);
            return {
              step: order.step,
              status: order.status,
              paymentId: order.payment_id,
              refundedMinor: Number(order.refunded_minor),
              charges: Number(p[0]?.charges ?? 0),
              refunds: Number(p[0]?.refunds ?? 0),
              reservation: r[0]?.status ?? null,
            };
          };
          const ctx: Ctx = {
            async slowPayments(ms) {
              await setFlag('payments.latency-ms', String(ms));
              await followed('payments', 'payments.latency-ms', ms);
              heldBackMs += ms;
            },
            async holdAnswers(ms) {
              await setFlag('payments.answer-delay-ms', String(ms));
              await followed('payments', 'payments.answer-delay-ms', ms);
              heldBackMs += ms;
            },
            async holdCommits(ms) {
              await setFlag('inventory.commit-delay-ms', String(ms));
              await followed('inventory', 'inventory.commit-delay-ms', ms);
              heldBackMs += ms;
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
            state,
            until: (what, orderId, check, timeoutMs = 60_000) =>
              eventually(
                what,
                async () => {
                  const s = await state(orderId);
                  return check(s) ? s : undefined;
                },
                timeoutMs,
              ),
            async crash(name, part) {
              const label = part === 'app' ? name : `${name}.daprd`;
              const proc = stack.processes().find((p) => p.name === label);
              assert.ok(proc, `${label} runs`);
              // stop* begins a graceful stop; the SIGKILL right after makes it a crash instead.
              const stopped = part === 'app' ? stack.stopService(name) : stack.stopSidecar(name);
              process.kill(proc.pid, 'SIGKILL');
              down.push({ name, part });
              await stopped;
            },
            async restart(name, part) {
              await (part === 'app' ? stack.startService(name) : stack.startSidecar(name));
              const at = down.findIndex((d) => d.name === name && d.part === part);
              if (at >= 0) down.splice(at, 1);
            },
          };
          let atKill: string;
          try {
            atKill = await row.run(ctx);
          } finally {
            await clearFlags();
            // A row that failed half-way leaves nothing down for the rows after it.
            for (const { name, part } of down.splice(0)) await ctx.restart(name, part);
          }
          await Promise.all(inFlight);
          // A charge or answer the flags held back may still land; judge only once it could have.
          const landed = lastCheckout + heldBackMs + 2000 - Date.now();
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
            data: pass.data,
            point: row.point,
            process: row.process,
            'at the kill': atKill,
            outcome: outcome.map((o) => `${o.status}${o.reason ? ` (${o.reason})` : ''}`).join(', '),
            invariants: left.length === 0 ? `hold after ${((Date.now() - recoveryStarted) / 1000).toFixed(1)} s` : 'BROKEN',
            'row time': `${((performance.now() - rowStarted) / 1000).toFixed(0)} s`,
          });
          assert.deepEqual(left, [], `${row.point} × ${row.process} on a ${pass.data} .data/`);
        });
      }
    });
  }
});
