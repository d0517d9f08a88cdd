import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createPool, migrate } from '@meshmart/kit';
import { infraForThisRun, type ServiceOnScratchDatabase, startOnScratchDatabase } from '@meshmart/test-support';
import type pg from 'pg';
import { IdempotencyKeys } from '../src/idempotency.ts';
import { migrations } from '../src/migrations.ts';
import { service } from '../src/service.ts';

const TOKEN = 'payments-int-test-token';
const nextYear = new Date().getUTCFullYear() + 1;
const CARDS = {
  approve: '4242424242424242',
  decline: '4000000000000002',
  insufficient: '4000000000009995',
  processorError: '4000000000000119',
  slow: '4000000000000077',
};

interface ChargeBody {
  id: string;
  orderId: string;
  status: string;
  amountMinor: number;
  currency: string;
  refundedMinor: number;
  cardLast4: string;
  failureCode?: string;
}

const infra = infraForThisRun();

describe('payments on the real PostgreSQL', () => {
  let payments: ServiceOnScratchDatabase;
  let pool: pg.Pool;
  let base: string;

  before(async function () {
    this.timeout(180_000);
    // Events stay in the outbox, which is what these tests read.
    payments = await startOnScratchDatabase(infra, 'payments_it', (env) =>
      service.start({ ...service.loadConfig({ ...env, APP_API_TOKEN: TOKEN }), PORT: 0 }, { handleSignals: false }),
    );
    base = payments.base;
    pool = createPool(payments.db.url, 4);
  });

  after(async () => {
    await pool?.end();
    await payments?.stop();
  });

  const call = (path: string, init: { method?: string; body?: unknown; key?: string } = {}) =>
    fetch(base + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        'content-type': 'application/json',
        'dapr-api-token': TOKEN,
        ...(init.key !== undefined && { 'idempotency-key': init.key }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  const chargeRequest = (number: string, over: Record<string, unknown> = {}) => ({
    orderId: `order-${randomUUID()}`,
    amountMinor: 2500,
    currency: 'EUR',
    card: { number, expMonth: 12, expYear: nextYear, cvc: '123' },
    ...over,
  });

  async function charge(body: unknown, key = `key-${randomUUID()}`) {
    const res = await call('/charges', { body, key });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      replayed: res.headers.get('idempotent-replayed'),
      text: await res.text(),
    };
  }

  const rows = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows;

  describe('charges', () => {
    it('approves a good card: 201 with last4 and brand, never the number or cvc', async () => {
      const request = chargeRequest(CARDS.approve);
      const res = await charge(request);
      assert.equal(res.status, 201, res.text);
      const body = JSON.parse(res.text) as ChargeBody;
      assert.equal(body.status, 'succeeded');
      assert.equal(body.orderId, request.orderId);
      assert.equal(body.amountMinor, 2500);
      assert.equal(body.refundedMinor, 0);
      assert.equal(body.cardLast4, '4242');
      const stored = await rows('SELECT * FROM charges WHERE id = $1', [body.id]);
      assert.equal(stored[0].card_brand, 'visa');
      const everything = JSON.stringify([
        await rows('SELECT * FROM charges'),
        await rows('SELECT * FROM idempotency_keys'),
        await rows('SELECT * FROM outbox'),
      ]);
      assert.doesNotMatch(everything, /4242424242424242|"cvc"/);
      const fetched = await call(`/charges/${body.id}`);
      assert.deepEqual(await fetched.json(), body);
    });

    it('declines with 402 card_declined and records the failed payment', async () => {
      const res = await charge(chargeRequest(CARDS.decline));
      assert.equal(res.status, 402);
      assert.match(res.type, /problem\+json/);
      const problem = JSON.parse(res.text) as { code: string; paymentId: string };
      assert.equal(problem.code, 'card_declined');
      const fetched = (await (await call(`/charges/${problem.paymentId}`)).json()) as ChargeBody;
      assert.equal(fetched.status, 'failed');
      assert.equal(fetched.failureCode, 'card_declined');
    });

    it('answers insufficient funds with 402 insufficient_funds', async () => {
      const res = await charge(chargeRequest(CARDS.insufficient));
      assert.equal(res.status, 402);
      assert.equal((JSON.parse(res.text) as { code: string }).code, 'insufficient_funds');
    });

    it('answers a processor error with a retryable 503 that stores nothing', async () => {
      const request = chargeRequest(CARDS.processorError);
      const key = `key-${randomUUID()}`;
      const first = await charge(request, key);
      assert.equal(first.status, 503);
      assert.equal((JSON.parse(first.text) as { code: string }).code, 'processor_error');
      const again = await charge(request, key);
      assert.equal(again.status, 503);
      assert.equal(again.replayed, null, 'a processor error is retried, not replayed');
      assert.equal((await rows('SELECT 1 FROM charges WHERE order_id = $1', [request.orderId])).length, 0);
      assert.equal((await rows('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).length, 0);
    });

    it('approves the slow card after about 3 s', async function () {
      this.timeout(15_000);
      const started = performance.now();
      const res = await charge(chargeRequest(CARDS.slow));
      assert.equal(res.status, 201, res.text);
      assert.ok(performance.now() - started >= 2900, `took ${performance.now() - started} ms`);
    });

    it('refuses a missing Idempotency-Key, bad card and unknown fields in one 400, writing nothing', async () => {
      const before = await rows('SELECT count(*)::int AS n FROM charges');
      const res = await call('/charges', {
        body: { ...chargeRequest('4242424242424241'), amountMinor: { $gt: 0 }, status: 'succeeded' },
      });
      assert.equal(res.status, 400);
      const problem = (await res.json()) as { errors: Array<{ field: string }> };
      assert.deepEqual(problem.errors.map((e) => e.field).sort(), ['Idempotency-Key', 'amountMinor', 'card.number', 'status']);
      const short = await call('/charges', { body: chargeRequest(CARDS.approve), key: 'short' });
      assert.equal(short.status, 400);
      assert.deepEqual(await rows('SELECT count(*)::int AS n FROM charges'), before);
    });

    it('refuses calls that did not come through the sidecar', async () => {
      const res = await fetch(`${base}/charges/${randomUUID()}`);
      assert.equal(res.status, 401);
    });
  });

  describe('idempotency', () => {
    it('replays the same key and body with the same status and body', async () => {
      const request = chargeRequest(CARDS.approve);
      const key = `key-${randomUUID()}`;
      const first = await charge(request, key);
      const second = await charge(request, key);
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      assert.equal(second.text, first.text);
      assert.equal(second.replayed, 'true');
      assert.equal((await rows('SELECT 1 FROM charges WHERE order_id = $1', [request.orderId])).length, 1);
    });

    it('makes one charge of 10 concurrent identical requests, all answered alike', async function () {
      this.timeout(20_000);
      // The slow card keeps the first request busy, so the other nine surely overlap it.
      const request = chargeRequest(CARDS.slow);
      const key = `key-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => charge(request, key)));
      assert.deepEqual(
        results.map((r) => r.status),
        Array(10).fill(201),
      );
      assert.equal(new Set(results.map((r) => r.text)).size, 1, 'every response body is the same');
      assert.equal(results.filter((r) => r.replayed === 'true').length, 9);
      const charges = await rows('SELECT id FROM charges WHERE order_id = $1', [request.orderId]);
      assert.equal(charges.length, 1);
      const events = await rows("SELECT 1 FROM outbox WHERE envelope->'data'->>'paymentId' = $1", [charges[0].id]);
      assert.equal(events.length, 1);
    });

    it('makes one failed payment of 10 concurrent identical declined requests', async () => {
      const request = chargeRequest(CARDS.decline);
      const key = `key-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => charge(request, key)));
      assert.deepEqual(new Set(results.map((r) => r.status)), new Set([402]));
      assert.equal(new Set(results.map((r) => r.text)).size, 1);
      assert.equal((await rows('SELECT 1 FROM charges WHERE order_id = $1', [request.orderId])).length, 1);
    });

    it('answers the same key with a different body with 422', async () => {
      const request = chargeRequest(CARDS.approve);
      const key = `key-${randomUUID()}`;
      assert.equal((await charge(request, key)).status, 201);
      const other = await charge({ ...request, amountMinor: 9999 }, key);
      assert.equal(other.status, 422);
      assert.match(other.type, /problem\+json/);
      assert.equal((await rows('SELECT 1 FROM charges WHERE order_id = $1', [request.orderId])).length, 1);
    });

    it('takes over a key whose owner died, and makes a repeat wait, then 409, while the owner lives', async () => {
      const keys = new IdempotencyKeys(pool, { leaseMs: 60_000, waitMs: 300 });
      const crashed = `key-${randomUUID()}`;
      await pool.query(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, locked_until)
         VALUES ('charge', $1, 'print', $2, now() - interval '1 second')`,
        [crashed, randomUUID()],
      );
      const taken = await keys.claim('charge', crashed, 'print');
      assert.equal(taken.kind, 'owner');
      const started = performance.now();
      await assert.rejects(keys.claim('charge', crashed, 'print'), (err: { status: number }) => err.status === 409);
      assert.ok(performance.now() - started >= 300);
      await assert.rejects(keys.claim('charge', crashed, 'other'), (err: { status: number }) => err.status === 422);
    });
  });

  describe('refunds', () => {
    async function paidCharge(amountMinor = 1000): Promise<ChargeBody> {
      const res = await charge(chargeRequest(CARDS.approve, { amountMinor }));
      assert.equal(res.status, 201, res.text);
      return JSON.parse(res.text) as ChargeBody;
    }

    const refund = async (chargeId: string, amountMinor: number, key = `refund-${randomUUID()}`) => {
      const res = await call(`/charges/${chargeId}/refunds`, { body: { amountMinor }, key });
      return { status: res.status, replayed: res.headers.get('idempotent-replayed'), text: await res.text() };
    };

    it('refunds in parts and refuses more than is left with 409', async () => {
      const paid = await paidCharge(1000);
      const first = await refund(paid.id, 600);
      assert.equal(first.status, 201, first.text);
      const body = JSON.parse(first.text) as { chargeId: string; amountMinor: number; orderId: string };
      assert.deepEqual([body.chargeId, body.amountMinor, body.orderId], [paid.id, 600, paid.orderId]);
      const tooMuch = await refund(paid.id, 401);
      assert.equal(tooMuch.status, 409);
      assert.equal((JSON.parse(tooMuch.text) as { refundableMinor: number }).refundableMinor, 400);
      assert.equal((await refund(paid.id, 400)).status, 201);
      const after = (await (await call(`/charges/${paid.id}`)).json()) as ChargeBody;
      assert.equal(after.refundedMinor, 1000);
      assert.equal((await refund(paid.id, 1)).status, 409);
    });

    it('replays a refund key instead of refunding twice, and 422s it with another amount', async () => {
      const paid = await paidCharge(1000);
      const key = `refund-${randomUUID()}`;
      const first = await refund(paid.id, 300, key);
      const second = await refund(paid.id, 300, key);
      assert.equal(second.text, first.text);
      assert.equal(second.replayed, 'true');
      assert.equal((await refund(paid.id, 301, key)).status, 422);
      assert.equal(((await (await call(`/charges/${paid.id}`)).json()) as ChargeBody).refundedMinor, 300);
    });

    it('never lets concurrent refunds exceed the charge', async () => {
      const paid = await paidCharge(1000);
      const results = await Promise.all(Array.from({ length: 10 }, () => refund(paid.id, 300)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
      const [stored] = await rows('SELECT refunded_minor FROM charges WHERE id = $1', [paid.id]);
      assert.equal(Number(stored.refunded_minor), 900);
      assert.equal((await rows('SELECT 1 FROM refunds WHERE charge_id = $1', [paid.id])).length, 3);
    });

    it('refuses refunding a declined payment (409) and an unknown charge (404)', async () => {
      const declined = await charge(chargeRequest(CARDS.decline));
      const { paymentId } = JSON.parse(declined.text) as { paymentId: string };
      assert.equal((await refund(paymentId, 100)).status, 409);
      assert.equal((await refund(randomUUID(), 100)).status, 404);
      assert.equal((await refund('not-a-uuid', 100)).status, 400);
    });
  });

  describe('events and metrics', () => {
    it('wrote exactly one outbox event per charge and refund, in the transaction that made it', async () => {
      const charges = await rows('SELECT id, status FROM charges');
      const events = await rows("SELECT topic, envelope->'data' AS data FROM outbox");
      for (const c of charges) {
        const topic = c.status === 'succeeded' ? 'payment.succeeded' : 'payment.failed';
        const matching = events.filter((e) => e.topic === topic && e.data.paymentId === c.id);
        assert.equal(matching.length, 1, `one ${topic} for ${c.id}`);
      }
      const refunds = await rows('SELECT id FROM refunds');
      const refunded = events.filter((e) => e.topic === 'payment.refunded');
      assert.deepEqual(refunded.map((e) => e.data.refundId).sort(), refunds.map((r) => r.id).sort());
      assert.equal(events.length, charges.length + refunds.length);
      for (const e of events.filter((x) => x.topic === 'payment.failed')) {
        assert.ok(['card_declined', 'insufficient_funds'].includes(e.data.reason));
      }
    });

    it('exports the business metrics', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.match(text, /payments_charges_total\{outcome="succeeded",service="payments"\} \d+/);
      assert.match(text, /payments_charges_total\{outcome="card_declined",service="payments"\} \d+/);
      assert.match(text, /payments_charges_total\{outcome="processor_error",service="payments"\} 2/);
      assert.match(text, /payments_amount_minor_total\{currency="EUR",service="payments"\} \d+/);
      assert.match(text, /payments_refunds_total\{service="payments"\} \d+/);
    });

    it('applies migrations once however often it starts', async () => {
      assert.deepEqual(await migrate(pool, migrations), []);
    });
  });
});
