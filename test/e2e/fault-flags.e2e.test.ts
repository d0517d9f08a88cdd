/**
 * Fault flags through the real local stack: each flag is written into the `configstore`
 * Redis the way `npm run stack -- flag set` does, the services hear it through their
 * sidecars' configuration subscription, and the test watches what a user would notice:
 * checkouts that fail cleanly with the stock back, redirects that keep working without
 * their cache, e-mails that wait and go out once the relay is back, and a breaker that
 * turns a slow payments into fast failures. Prints the checkout latency before and after
 * the breaker opened.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createPool } from '@meshmart/kit';
import { clearFlags, infraUrls, listFlags, mailDir, type StackHandle, scratchMongoUrl, setFlag } from '@meshmart/stack';
import {
  checkoutBody,
  checkoutSetup,
  eventually,
  followed,
  GatewayClient,
  metric,
  newAdmin,
  startGatewayStack,
  stockedProduct,
} from '@meshmart/test-support';
import type pg from 'pg';

const ADMIN = newAdmin();
const PRICE = 700;

/** One sample of a metric on a service's /metrics, summed over the series whose labels include `labels`. */
async function mailTo(address: string): Promise<number> {
  const names = await readdir(mailDir()).catch(() => [] as string[]);
  const messages = await Promise.all(
    names.filter((n) => n.endsWith('.eml')).map((n) => readFile(path.join(mailDir(), n), 'utf8')),
  );
  return messages.filter((m) => m.includes(`X-Envelope-To: ${address}`)).length;
}

describe('fault flags (local stack)', function () {
  this.timeout(240_000);
  let stack: StackHandle;
  let client: GatewayClient;
  let adminToken: string;
  let buyerToken: string;
  let addressId: string;
  let category: string;
  let payments: pg.Pool;

  before(async function () {
    this.timeout(300_000);
    stack = await startGatewayStack({
      admin: ADMIN,
      env: {
        catalog: { MONGO_URL: scratchMongoUrl('catalog_flags_e2e') },
        orders: { SAGA_LEASE_SECONDS: '4', RECOVERY_INTERVAL_MS: '1000' },
        notifications: { EMAIL_RETRY_POLL_MS: '500', EMAIL_MAX_BACKOFF_MS: '2000' },
      },
    });
    // Flags left by an earlier run on the same Redis would change everything below.
    await clearFlags();
    client = new GatewayClient(stack.urls.gateway);
    ({ adminToken, buyerToken, addressId, category } = await checkoutSetup(client, ADMIN, 'Flags'));
    payments = createPool(infraUrls.postgres('payments'), 2);
  });

  after(async () => {
    await clearFlags().catch(() => undefined);
    await payments?.end();
    await stack?.stop();
  });

  const product = (stock: number) =>
    stockedProduct(client, adminToken, {
      name: `Flag mug ${randomBytes(3).toString('hex')}`,
      category,
      priceMinor: PRICE,
      stock,
    });

  /** What inventory, which decides the checkout, has available. */
  async function stockOf(productId: string): Promise<number> {
    const res = await client.call('GET', `/api/products/${productId}/stock`, { token: adminToken });
    assert.equal(res.status, 200, res.text);
    return res.json<{ available: number }>().available;
  }

  interface Placed {
    status: number;
    ms: number;
    order?: { id: string; status: string; reason?: string };
    text: string;
  }

  async function checkout(productId: string): Promise<Placed> {
    const started = performance.now();
    const response = await fetch(`${stack.urls.gateway}/api/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${buyerToken}`,
        'idempotency-key': randomUUID(),
        'x-forwarded-for': client.forwardedFor,
      },
      body: JSON.stringify(checkoutBody(productId, addressId)),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    const order = response.status === 201 || response.status === 202 ? JSON.parse(text) : undefined;
    return { status: response.status, ms, text, ...(order && { order }) };
  }

  async function finalOrder(id: string): Promise<{ status: string; reason?: string }> {
    return eventually(`order ${id} to settle`, async () => {
      const res = await client.call('GET', `/api/orders/${id}`, { token: buyerToken });
      assert.equal(res.status, 200, res.text);
      const order = res.json<{ status: string; reason?: string }>();
      return ['paid', 'failed', 'cancelled'].includes(order.status) ? order : undefined;
    });
  }

  const chargesFor = async (orderId: string) =>
    (
      await payments.query<{ status: string; refunded_minor: string }>(
        'SELECT status, refunded_minor FROM charges WHERE order_id = $1',
        [orderId],
      )
    ).rows;

  it('refuses unknown flags and values out of range, and lists every flag', async () => {
    await assert.rejects(setFlag('payments.failure-rate', '1.5'), /between 0 and 1/);
    await assert.rejects(setFlag('payments.latency-ms', 'slow'), /whole milliseconds/);
    await assert.rejects(setFlag('links.cache-outage', 'maybe'), /on or off/);
    await assert.rejects(setFlag('payments.chaos', '1'), /unknown flag payments\.chaos/);
    const listed = await listFlags();
    assert.deepEqual(
      listed.map((f) => f.key),
      [
        'payments.failure-rate',
        'payments.latency-ms',
        'payments.answer-delay-ms',
        'inventory.unavailable',
        'inventory.commit-delay-ms',
        'links.cache-outage',
        'notifications.smtp-failure',
      ],
    );
    assert.ok(listed.every((f) => f.value === 0));
  });

  it('a flag set in the store reaches the running service and clearing it turns it off', async () => {
    assert.equal(await setFlag('payments.failure-rate', '0.25'), 0.25);
    await followed('payments', 'payments.failure-rate', 0.25);
    await clearFlags(['payments.failure-rate']);
    await followed('payments', 'payments.failure-rate', 0);
  });

  it('payments failing 100 %: the checkout fails cleanly, nothing is charged and the stock is back', async () => {
    const mug = await product(5);
    const injected = await metric('payments', 'fault_flag_injections_total', { flag: 'payments.failure-rate' });
    await setFlag('payments.failure-rate', '1');
    await followed('payments', 'payments.failure-rate', 1);
    const placed = await checkout(mug);
    assert.equal(placed.status, 201, placed.text);
    const order = await finalOrder(placed.order?.id ?? '');
    assert.equal(order.status, 'failed');
    assert.match(order.reason ?? '', /payment/);
    assert.deepEqual(await chargesFor(placed.order?.id ?? ''), [], 'a processor error charges nothing');
    assert.equal(await stockOf(mug), 5, 'the reservation was released');
    assert.ok((await metric('payments', 'fault_flag_injections_total', { flag: 'payments.failure-rate' })) > injected);

    await clearFlags(['payments.failure-rate']);
    await followed('payments', 'payments.failure-rate', 0);
    const after = await checkout(mug);
    assert.equal(after.status, 201, after.text);
    assert.equal((await finalOrder(after.order?.id ?? '')).status, 'paid');
    assert.equal(await stockOf(mug), 4);
  });

  it('inventory unavailable: the checkout is answered failed while inventory is down, and its release follows', async () => {
    const mug = await product(5);
    await setFlag('inventory.unavailable', 'on');
    await followed('inventory', 'inventory.unavailable', 1);
    const placed = await checkout(mug);
    // Not 202 pending: the release it still owes waits for inventory, the buyer's answer does not.
    assert.equal(placed.status, 201, placed.text);
    assert.equal(placed.order?.status, 'failed', placed.text);
    assert.match(placed.order?.reason ?? '', /inventory is unavailable/);
    assert.ok((await metric('inventory', 'fault_flag_injections_total', { flag: 'inventory.unavailable' })) > 0);
    await clearFlags(['inventory.unavailable']);
    await followed('inventory', 'inventory.unavailable', 0);
    assert.equal(await stockOf(mug), 5);
    // The Release the failed order still owed runs once inventory answers again (the recovery loop).
    const orderId = placed.order?.id ?? '';
    let notes: string[] = [];
    await eventually(
      'the failed order to release what it may hold',
      async () => {
        const res = await client.call('GET', `/api/orders/${orderId}`, { token: buyerToken });
        notes = res.json<{ timeline: Array<{ note: string }> }>().timeline.map((t) => t.note);
        return notes.some((note) => note.startsWith('stock released')) ? true : undefined;
      },
      90_000,
    ).catch((err: Error) => assert.fail(`${err.message}; the timeline: ${notes.join(' | ')}`));
  });

  it("links' cache outage: redirects keep answering 302 from PostgreSQL and the cache errors are counted", async () => {
    const link = await client.call('POST', '/api/links', { token: buyerToken, body: { url: 'https://example.com/flags' } });
    assert.equal(link.status, 201, link.text);
    const { code } = link.json<{ code: string }>();
    const errors = await metric('links', 'links_cache_lookups_total', { result: 'error' });
    await setFlag('links.cache-outage', 'on');
    await followed('links', 'links.cache-outage', 1);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack.urls.gateway}/s/${code}`, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), 'https://example.com/flags');
    }
    assert.ok((await metric('links', 'links_cache_lookups_total', { result: 'error' })) >= errors + 5);
    assert.ok((await metric('links', 'fault_flag_injections_total', { flag: 'links.cache-outage' })) >= 5);
    await clearFlags(['links.cache-outage']);
    await followed('links', 'links.cache-outage', 0);
  });

  it('notifications SMTP failure: the welcome e-mail waits, counted as failures, and goes out once cleared', async () => {
    await setFlag('notifications.smtp-failure', 'on');
    await followed('notifications', 'notifications.smtp-failure', 1);
    const failures = await metric('notifications', 'notifications_email_failures_total');
    const email = client.newEmail();
    const registered = await client.call('POST', '/api/auth/register', {
      body: { email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'Mail Wait' },
    });
    assert.equal(registered.status, 201, registered.text);
    await eventually('the send to fail', async () =>
      (await metric('notifications', 'notifications_email_failures_total')) > failures ? true : undefined,
    );
    assert.equal(await mailTo(email), 0, 'no mail while the relay fails');
    await clearFlags(['notifications.smtp-failure']);
    await eventually('the e-mail to go out', async () => ((await mailTo(email)) === 1 ? true : undefined));
  });

  it('payments slower than the breaker timeout: the circuit opens, checkouts fail fast, late charges are refunded', async function () {
    this.timeout(180_000);
    const mug = await product(50);
    const before = await checkout(mug);
    assert.equal(before.status, 201, before.text);
    assert.equal((await finalOrder(before.order?.id ?? '')).status, 'paid');

    // Longer than the saga's three tries (5 s each under the breaker's timeout), shorter than
    // payments' idempotency lease: the charge lands after orders gave up on it.
    await setFlag('payments.latency-ms', '20000');
    await followed('payments', 'payments.latency-ms', 20000);
    const slow: Placed[] = [];
    // Each timed-out try counts towards the breaker; it opens within two checkouts.
    for (let i = 0; i < 4; i++) slow.push(await checkout(mug));
    await clearFlags(['payments.latency-ms']);
    await followed('payments', 'payments.latency-ms', 0);

    process.stdout.write(
      `\n      checkout latency: healthy ${before.ms.toFixed(0)} ms; payments +20 s: ${slow
        .map((p) => `${p.ms.toFixed(0)} ms (${p.order?.status ?? p.status})`)
        .join(', ')}\n`,
    );
    const ids = slow.map((p) => p.order?.id).filter((id): id is string => id !== undefined);
    assert.equal(ids.length, slow.length, slow.map((p) => p.text).join('\n'));
    assert.ok(slow[0] && slow[0].ms > 5000, 'the first checkout waited for the timeouts');
    const last = slow.at(-1);
    assert.ok(last && last.ms < 3000, `with the circuit open a checkout fails fast (took ${last?.ms.toFixed(0)} ms)`);
    for (const id of ids) assert.equal((await finalOrder(id)).status, 'failed');

    // Charges that went through after the caller gave up are refunded once payments reports them.
    await eventually(
      'every late charge to be refunded',
      async () => {
        for (const id of ids) {
          const charges = await chargesFor(id);
          if (!charges.every((c) => c.status !== 'succeeded' || Number(c.refunded_minor) === PRICE)) return undefined;
        }
        return true;
      },
      90_000,
    );
    assert.equal(await stockOf(mug), 49, 'only the healthy checkout took stock');

    // Once the breaker lets a trial call through, checkouts are paid again.
    await eventually(
      'a checkout to be paid again',
      async () => {
        const placed = await checkout(mug);
        return placed.order && (await finalOrder(placed.order.id)).status === 'paid' ? true : undefined;
      },
      60_000,
    );
  });
});
