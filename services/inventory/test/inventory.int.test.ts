/**
 * inventory on the real PostgreSQL, called over gRPC on its app port and over REST as the
 * sidecar would. No sidecar runs here: the outbox relay cannot publish, so the events a
 * change writes stay in the outbox where the tests read them.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { inventoryErrors } from '@meshmart/contracts/inventory';
import { type EventEnvelope, grpcErrorCode } from '@meshmart/kit';
import {
  InventoryServiceClient,
  type Reservation,
  ReservationStatus,
  type ReserveItem,
} from '@meshmart/proto/inventory/v1/inventory';
import { createScratchDatabase, type ScratchDatabase } from '@meshmart/stack';
import { eventually, infraForThisRun, testTokens } from '@meshmart/test-support';
import { Ledger } from '../src/ledger.ts';
import { service } from '../src/service.ts';

const APP_TOKEN = 'inventory-int-test-token';
const infra = infraForThisRun();

describe('inventory on the real PostgreSQL', function () {
  this.timeout(120_000);
  let db: ScratchDatabase;
  let inventory: Awaited<ReturnType<typeof service.start>>;
  let client: InventoryServiceClient;
  let base: string;
  let adminToken: string;
  let customerToken: string;

  before(async function () {
    this.timeout(180_000);
    await infra.start(['postgres']);
    db = await createScratchDatabase('inventory_it');
    const tokens = await testTokens();
    adminToken = await tokens.sign(randomUUID(), ['customer', 'admin']);
    customerToken = await tokens.sign(randomUUID(), ['customer']);
    const config = service.loadConfig({
      PORT: '1',
      DATABASE_URL: db.url,
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: APP_TOKEN,
      LOG_LEVEL: 'error',
      SWEEP_INTERVAL_MS: '100',
      DB_POOL_MAX: '40',
    });
    inventory = await service.start({ ...config, PORT: 0 }, { handleSignals: false, accessTokens: tokens.verifier });
    base = `http://127.0.0.1:${inventory.port}`;
    client = new InventoryServiceClient(`127.0.0.1:${inventory.port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await inventory?.close();
    await db?.drop();
  });

  const call = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
    fetch(base + path, {
      method: init.method ?? 'GET',
      headers: {
        'dapr-api-token': APP_TOKEN,
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...(init.token && { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  const grpcCall = <Res>(method: 'reserve' | 'commit' | 'release' | 'getStock', request: object) =>
    new Promise<Res>((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('dapr-api-token', APP_TOKEN);
      (
        client[method] as unknown as (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: Res) => void) => void
      ).call(client, request, md, (err, res) => (err ? reject(err) : resolve(res)));
    });
  const reserve = (reservationId: string, items: ReserveItem[], ttlSeconds = 0) =>
    grpcCall<{ reservation: Reservation }>('reserve', { reservationId, items, ttlSeconds }).then((r) => r.reservation);
  const commit = (reservationId: string) =>
    grpcCall<{ reservation: Reservation }>('commit', { reservationId }).then((r) => r.reservation);
  const release = (reservationId: string) =>
    grpcCall<{ reservation: Reservation }>('release', { reservationId }).then((r) => r.reservation);
  const refusal = async (promise: Promise<unknown>): Promise<grpc.ServiceError> => {
    try {
      await promise;
    } catch (err) {
      return err as grpc.ServiceError;
    }
    throw new Error('the call succeeded');
  };

  async function product(available: number, lowStockThreshold = 0): Promise<string> {
    const id = `p-${randomUUID().slice(0, 12)}`;
    const res = await call(`/stock/${id}`, { method: 'PUT', token: adminToken, body: { stock: available, lowStockThreshold } });
    assert.equal(res.status, 200, await res.text());
    return id;
  }

  const stockOf = async (productId: string) => {
    const { rows } = await inventory.pool.query<{ available: number; held: number }>(
      'SELECT available, held FROM stock WHERE product_id = $1',
      [productId],
    );
    return rows[0];
  };

  const outboxOf = async (topic: string, productId: string) => {
    const { rows } = await inventory.pool.query<{ envelope: EventEnvelope }>(
      `SELECT envelope FROM outbox WHERE topic = $1 AND envelope->'data'->>'productId' = $2 ORDER BY created_at`,
      [topic, productId],
    );
    return rows.map((r) => r.envelope);
  };

  describe('200 concurrent multi-line Reserves over 3 products', () => {
    /** One round: fresh products, 200 random reservations at once, then every invariant. */
    async function round(): Promise<{ held: number; refused: number }> {
      const initial = [37, 52, 25];
      const ids = await Promise.all(initial.map((n) => product(n)));
      const requests = Array.from({ length: 200 }, () => {
        const picked = ids.filter(() => Math.random() < 0.6);
        const lines = (picked.length > 0 ? picked : [ids[Math.floor(Math.random() * 3)] as string]).map((productId) => ({
          productId,
          quantity: 1 + Math.floor(Math.random() * 3),
        }));
        // Callers list items in any order; the locks are taken in one order whatever it is.
        return { id: randomUUID(), items: lines.sort(() => Math.random() - 0.5) };
      });

      let watching = true;
      const negative: string[] = [];
      const watcher = (async () => {
        while (watching) {
          const { rows } = await inventory.pool.query<{ product_id: string; available: number; held: number }>(
            'SELECT product_id, available, held FROM stock WHERE product_id = ANY($1)',
            [ids],
          );
          for (const r of rows) if (r.available < 0 || r.held < 0) negative.push(`${r.product_id}: ${r.available}/${r.held}`);
          await sleep(5);
        }
      })();
      const outcomes = await Promise.all(
        requests.map((r) =>
          reserve(r.id, r.items).then(
            (reservation) => ({ r, reservation, err: undefined }),
            (err: grpc.ServiceError) => ({ r, reservation: undefined, err }),
          ),
        ),
      );
      watching = false;
      await watcher;
      assert.deepEqual(negative, [], 'stock never went below zero');

      const held = outcomes.filter((o) => o.reservation);
      const refused = outcomes.filter((o) => o.err);
      for (const { r, err } of refused) {
        assert.equal(err?.code, grpc.status.FAILED_PRECONDITION, `${err?.code} ${err?.details}`);
        const named = [...(err?.details ?? '').matchAll(/(p-[0-9a-f-]+) \(requested (\d+), available (\d+)\)/g)];
        assert.ok(named.length > 0, `the refusal names the short product: ${err?.details}`);
        for (const [, productId, requested, available] of named) {
          const line = r.items.find((i) => i.productId === productId);
          assert.ok(line, `${productId} was asked for`);
          assert.equal(Number(requested), line.quantity);
          assert.ok(Number(available) < line.quantity, 'it was short');
        }
      }
      for (const [i, productId] of ids.entries()) {
        const stock = await stockOf(productId);
        const heldOf = held.flatMap((o) => o.r.items).filter((l) => l.productId === productId);
        const sum = heldOf.reduce((n, l) => n + l.quantity, 0);
        assert.equal(stock?.held, sum, `${productId}: held is what the held reservations hold`);
        assert.equal((stock?.held ?? 0) + (stock?.available ?? 0), initial[i], `${productId}: held + available = initial`);
        const events = await outboxOf('inventory.stock_changed', productId);
        // Outbox rows carry their transaction's start time, not the order of the locks.
        const revisions = events.map((e) => (e.data as { revision: number }).revision).sort((x, y) => x - y);
        assert.deepEqual(
          revisions,
          revisions.map((_, k) => k + 1),
          'one stock_changed per change, revisions 1, 2, 3…',
        );
        assert.equal(events.length, 1 + heldOf.length, 'the adjustment, then one event per held line');
      }
      return { held: held.length, refused: refused.length };
    }

    it('never oversells, refuses only with FAILED_PRECONDITION naming the short product, and never deadlocks, 5 rounds in a row', async () => {
      for (let i = 0; i < 5; i++) {
        const { held, refused } = await round();
        assert.ok(held > 0 && refused > 0, `round ${i}: both outcomes happen (${held} held, ${refused} refused)`);
      }
    });

    describe('on a machine kept busy by a second process', () => {
      let burners: ChildProcess[] = [];
      before(() => {
        // One spinning process per core, each bounded in time so nothing outlives the run.
        burners = [0, 1].map(() =>
          spawn(process.execPath, ['-e', 'const end = Date.now() + 120000; while (Date.now() < end) {}'], { stdio: 'ignore' }),
        );
      });
      after(() => {
        for (const b of burners) b.kill('SIGKILL');
      });

      it('holds the same invariants, 5 rounds in a row', async () => {
        assert.ok(
          burners.every((b) => b.exitCode === null && b.pid),
          'the busy processes run',
        );
        for (let i = 0; i < 5; i++) await round();
      });
    });
  });

  describe('reservations', () => {
    it('are idempotent by id: a repeat answers the same reservation, other items are ALREADY_EXISTS', async () => {
      const a = await product(5);
      const id = randomUUID();
      const first = await reserve(id, [{ productId: a, quantity: 2 }]);
      const again = await reserve(id, [{ productId: a, quantity: 2 }]);
      assert.deepEqual(again, first);
      assert.equal((await stockOf(a))?.available, 3, 'held once');
      const other = await refusal(reserve(id, [{ productId: a, quantity: 1 }]));
      assert.equal(other.code, grpc.status.ALREADY_EXISTS);
    });

    it('hold all lines or none', async () => {
      const plenty = await product(10);
      const scarce = await product(1);
      const err = await refusal(
        reserve(randomUUID(), [
          { productId: plenty, quantity: 3 },
          { productId: scarce, quantity: 2 },
        ]),
      );
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(err.details, `${scarce} (requested 2, available 1)`);
      assert.equal(grpcErrorCode(err), inventoryErrors.insufficientStock);
      assert.deepEqual(await stockOf(plenty), { available: 10, held: 0 });
      assert.deepEqual(await stockOf(scarce), { available: 1, held: 0 });
    });

    it('commit once, release held stock once, and refuse to release what was sold', async () => {
      const a = await product(6);
      const sold = randomUUID();
      await reserve(sold, [{ productId: a, quantity: 2 }]);
      assert.equal((await commit(sold)).status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
      assert.equal((await commit(sold)).status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
      assert.deepEqual(await stockOf(a), { available: 4, held: 0 });
      assert.equal((await refusal(release(sold))).code, grpc.status.FAILED_PRECONDITION);
      const announced = async () =>
        (await outboxOf('inventory.stock_changed', a)).map((e) => {
          const { available, held, revision } = e.data as { available: number; held: number; revision: number };
          return { available, held, revision };
        });
      assert.deepEqual(
        await announced(),
        [
          { available: 6, held: 0, revision: 1 },
          { available: 4, held: 2, revision: 2 },
        ],
        'the stock and the Reserve are announced; the Commit, which leaves available as it was, is not',
      );

      const given = randomUUID();
      await reserve(given, [{ productId: a, quantity: 3 }]);
      assert.equal((await release(given)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
      assert.equal((await release(given)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
      assert.deepEqual(await stockOf(a), { available: 4, held: 0 });
      assert.equal((await refusal(commit(given))).code, grpc.status.FAILED_PRECONDITION);
      const again = await refusal(reserve(given, [{ productId: a, quantity: 3 }]));
      assert.equal(again.code, grpc.status.FAILED_PRECONDITION, 'a released reservation is not held again by a repeat');
      assert.deepEqual(await stockOf(a), { available: 4, held: 0 });
      assert.deepEqual(
        (await announced()).map((e) => e.revision),
        [1, 2, 4, 5],
        'the next change is announced with a revision past the Commit’s',
      );
    });

    it('keeps a Reserve that arrives after its Release from holding anything', async () => {
      const a = await product(3);
      const id = randomUUID();
      assert.equal((await release(id)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
      const late = await refusal(reserve(id, [{ productId: a, quantity: 1 }]));
      assert.equal(late.code, grpc.status.FAILED_PRECONDITION);
      assert.deepEqual(await stockOf(a), { available: 3, held: 0 });
    });

    it('refuses unknown products and bad input before writing anything', async () => {
      const unknown = await refusal(reserve(randomUUID(), [{ productId: 'nope-nope', quantity: 1 }]));
      assert.equal(unknown.code, grpc.status.NOT_FOUND);
      assert.equal((await refusal(reserve('bad id!', [{ productId: 'x', quantity: 1 }]))).code, grpc.status.INVALID_ARGUMENT);
      const a = await product(3);
      assert.equal((await refusal(reserve(randomUUID(), [{ productId: a, quantity: 0 }]))).code, grpc.status.INVALID_ARGUMENT);
      assert.equal((await refusal(reserve(randomUUID(), []))).code, grpc.status.INVALID_ARGUMENT);
      const { stock } = await grpcCall<{ stock: Array<{ productId: string; available: number }> }>('getStock', {
        productIds: [a, 'nope-nope'],
      });
      assert.deepEqual(
        stock.map((s) => [s.productId, s.available]),
        [[a, 3]],
      );
    });

    it('returns expired holds, each once although two replicas sweep, and an expired hold cannot be committed', async () => {
      const a = await product(4);
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids) await reserve(id, [{ productId: a, quantity: 1 }], 1);
      const second = new Ledger(inventory.pool, { defaultTtlSeconds: 60, maxTtlSeconds: 600, defaultLowStockThreshold: 0 });
      await sleep(1100);
      await Promise.all([second.sweep(1), second.sweep(1), inventory.ledger.sweep(1)]);
      await eventually('every hold to come back', async () => ((await stockOf(a))?.available === 4 ? true : undefined));
      const { rows } = await inventory.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM stock_movements WHERE product_id = $1 AND kind = 'expire'`,
        [a],
      );
      assert.equal(Number(rows[0]?.n), 3, 'one expiry movement per reservation');
      assert.equal((await refusal(commit(ids[0] as string))).code, grpc.status.FAILED_PRECONDITION);
    });

    it('gives back a paid order’s stock once when order.cancelled arrives twice', async () => {
      const a = await product(5);
      const orderId = randomUUID();
      await reserve(orderId, [{ productId: a, quantity: 2 }]);
      await commit(orderId);
      const event = {
        eventId: randomUUID(),
        topic: 'order.cancelled',
        version: 1,
        occurredAt: new Date().toISOString(),
        data: {
          orderId,
          userId: randomUUID(),
          userEmail: 'a@example.com',
          totalMinor: 100,
          currency: 'EUR',
          at: new Date().toISOString(),
          lines: [{ productId: a, name: 'A', quantity: 2, unitPriceMinor: 50 }],
          reason: 'changed my mind',
          refundedMinor: 100,
        },
      };
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${base}/events/order-cancelled`, {
          method: 'POST',
          headers: { 'dapr-api-token': APP_TOKEN, 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify({ id: event.eventId, specversion: '1.0', type: 'meshmart.order.cancelled.v1', data: event }),
        });
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { status: string }).status, 'SUCCESS');
      }
      assert.deepEqual(await stockOf(a), { available: 5, held: 0 });
    });

    it('raises inventory.low_stock once, when a reservation makes stock fall to the threshold', async () => {
      const a = await product(4, 2);
      await reserve(randomUUID(), [{ productId: a, quantity: 1 }]);
      assert.equal((await outboxOf('inventory.low_stock', a)).length, 0);
      await reserve(randomUUID(), [{ productId: a, quantity: 1 }]);
      await reserve(randomUUID(), [{ productId: a, quantity: 1 }]);
      const low = await outboxOf('inventory.low_stock', a);
      assert.equal(low.length, 1);
      assert.deepEqual(low[0]?.data, { ...(low[0]?.data as object), productId: a, available: 2, threshold: 2 });
    });
  });

  describe('admin REST', () => {
    it('needs a token (401) and the admin role (403), and changes nothing otherwise', async () => {
      const a = await product(3);
      assert.equal((await call(`/stock/${a}`, { method: 'PUT', body: { stock: 9 } })).status, 401);
      assert.equal((await call(`/stock/${a}`, { method: 'PUT', body: { stock: 9 }, token: customerToken })).status, 403);
      assert.equal((await call(`/stock/${a}`, { token: customerToken })).status, 403);
      assert.deepEqual(await stockOf(a), { available: 3, held: 0 });
    });

    it('refuses bad input field by field', async () => {
      const a = await product(3);
      const res = await call(`/stock/${a}`, { method: 'PUT', token: adminToken, body: { stock: { $inc: 5 }, extra: 1 } });
      assert.equal(res.status, 400);
      assert.equal((await call('/stock/bad%20id', { token: adminToken })).status, 400);
      assert.equal((await call('/stock/unknown-product', { token: adminToken })).status, 404);
    });

    it('sets stock around held stock and keeps the movement history', async () => {
      const a = await product(5);
      await reserve(randomUUID(), [{ productId: a, quantity: 2 }]);
      const set = await call(`/stock/${a}`, { method: 'PUT', token: adminToken, body: { stock: 10 } });
      assert.equal(set.status, 200);
      assert.deepEqual(await set.json(), { productId: a, available: 10, held: 2, lowStockThreshold: 0, revision: 3 });
      const history = await call(`/stock/${a}/movements?limit=10`, { token: adminToken });
      const { items } = (await history.json()) as { items: Array<{ kind: string; availableDelta: number; heldDelta: number }> };
      assert.deepEqual(
        items.map((m) => [m.kind, m.availableDelta, m.heldDelta]),
        [
          ['adjust', 7, 0],
          ['reserve', -2, 2],
          ['adjust', 5, 0],
        ],
      );
    });
  });
});
