/**
 * The subscriber side of pub/sub through the real local stack: while checkouts and
 * redirects keep publishing, notifications and analytics are stopped (the app, then only
 * its sidecar), and RabbitMQ is restarted with their messages queued. After each outage
 * every event the publishers' outboxes sent must have taken effect exactly once: one
 * notification and one e-mail per paid order, every event claimed once by analytics,
 * and the link's click rollup equal to the clicks published, no more. Counts come from
 * the databases, not from the services' own metrics, which restart with them. The file
 * prints the outage × published/took-effect table at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createPool } from '@meshmart/kit';
import { infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import amqp from 'amqplib';
import type pg from 'pg';
import { GatewayClient } from './support.ts';

const ADMIN = { email: `admin-${randomBytes(4).toString('hex')}@meshmart.test`, password: randomBytes(12).toString('hex') };
const CHECKOUTS_PER_OUTAGE = 3;
const REDIRECTS_PER_OUTAGE = 10;
/** From the restart until every event took effect: Dapr's redelivery backoff included. */
const SETTLE_MS = 120_000;

interface Published {
  paid: string[];
  clicks: string[];
}

describe('subscriber outages (local stack)', function () {
  this.timeout(300_000);
  let stack: StackHandle;
  let client: GatewayClient;
  let buyerToken: string;
  let buyerId: string;
  let addressId: string;
  let productId: string;
  let code: string;
  const pools: Record<'orders' | 'links' | 'analytics' | 'notifications', pg.Pool> = {} as never;
  const table: Record<string, Record<string, string>> = {};

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      env: {
        gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '100000', RATE_LIMIT_API_MAX: '100000' },
        users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
        notifications: { EMAIL_RETRY_POLL_MS: '500', EMAIL_MAX_BACKOFF_MS: '2000' },
      },
    });
    for (const db of ['orders', 'links', 'analytics', 'notifications'] as const) {
      pools[db] = createPool(infraUrls.postgres(db), 2);
    }
    client = new GatewayClient(stack.urls.gateway);
    const admin = await client.call('POST', '/api/auth/login', { body: ADMIN });
    assert.equal(admin.status, 200, admin.text);
    const adminToken = admin.json<{ accessToken: string }>().accessToken;
    const buyer = { email: client.newEmail(), password: `pw-${randomBytes(8).toString('hex')}` };
    const registered = await client.call('POST', '/api/auth/register', { body: { ...buyer, displayName: 'Sub Buyer' } });
    assert.equal(registered.status, 201, registered.text);
    const login = await client.call('POST', '/api/auth/login', { body: buyer });
    assert.equal(login.status, 200, login.text);
    ({ accessToken: buyerToken } = login.json<{ accessToken: string }>());
    buyerId = login.json<{ user: { id: string } }>().user.id;
    const address = await client.call('POST', '/api/users/me/addresses', {
      token: buyerToken,
      body: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    });
    assert.equal(address.status, 201, address.text);
    addressId = address.json<{ id: string }>().id;
    const category = `subs-${randomBytes(4).toString('hex')}`;
    const created = await client.call('POST', '/api/categories', { token: adminToken, body: { id: category, name: 'Subs' } });
    assert.equal(created.status, 201, created.text);
    const product = await client.call('POST', '/api/products', {
      token: adminToken,
      body: { name: 'Subscriber mug', category, priceMinor: 300, currency: 'EUR' },
    });
    assert.equal(product.status, 201, product.text);
    productId = product.json<{ id: string }>().id;
    const stocked = await client.call('PUT', `/api/products/${productId}/stock`, { token: adminToken, body: { stock: 10_000 } });
    assert.equal(stocked.status, 200, stocked.text);
    const link = await client.call('POST', '/api/links', { token: buyerToken, body: { url: 'https://example.com/subs' } });
    assert.equal(link.status, 201, link.text);
    code = link.json<{ code: string }>().code;
  });

  after(async () => {
    if (Object.keys(table).length > 0) {
      process.stdout.write('\n  events published during each outage and what took effect once everything was back\n');
      console.table(table);
    }
    await Promise.all(Object.values(pools).map((p) => p.end()));
    await stack?.stop();
  });

  /** Event ids the publishers handed to the broker, from their outboxes. */
  async function published(): Promise<Published> {
    const ids = async (pool: pg.Pool, topic: string, field: string, value: string) =>
      (
        await pool.query<{ id: string }>(
          `SELECT envelope->>'eventId' AS id FROM outbox
            WHERE topic = $1 AND envelope->'data'->>$2 = $3 AND published_at IS NOT NULL`,
          [topic, field, value],
        )
      ).rows.map((r) => r.id);
    return {
      paid: await ids(pools.orders, 'order.paid', 'userId', buyerId),
      clicks: await ids(pools.links, 'link.clicked', 'code', code),
    };
  }

  interface Effects {
    /** Published events analytics has not claimed (ids), to name them when one is lost. */
    unclaimed: string[];
    analyticsClaimed: number;
    clickRollup: number;
    notificationsPerPaid: number[];
    emailsPerPaid: number[];
  }

  async function effects(events: Published): Promise<Effects> {
    const all = [...events.paid, ...events.clicks];
    const claimed = new Set(
      (
        await pools.analytics.query<{ event_id: string }>('SELECT event_id FROM processed_events WHERE event_id = ANY($1)', [all])
      ).rows.map((r) => r.event_id),
    );
    const clicks = await pools.analytics.query<{ n: string | null }>(
      `SELECT sum(value) AS n FROM rollups WHERE metric = 'link.clicks' AND granularity = 'day' AND dimension = $1`,
      [code],
    );
    const perEvent = async (sql: string) => {
      const rows = (await pools.notifications.query<{ event_id: string; n: string }>(sql, [events.paid])).rows;
      return events.paid.map((id) => Number(rows.find((r) => r.event_id === id)?.n ?? 0));
    };
    return {
      unclaimed: all.filter((id) => !claimed.has(id)),
      analyticsClaimed: claimed.size,
      clickRollup: Number(clicks.rows[0]?.n ?? 0),
      notificationsPerPaid: await perEvent(
        'SELECT event_id, count(*) AS n FROM notifications WHERE event_id = ANY($1) GROUP BY event_id',
      ),
      emailsPerPaid: await perEvent(
        `SELECT event_id, count(*) AS n FROM outgoing_emails WHERE event_id = ANY($1) AND status = 'sent' GROUP BY event_id`,
      ),
    };
  }

  const exactlyOnce = (events: Published, e: Effects) =>
    e.analyticsClaimed === events.paid.length + events.clicks.length &&
    e.clickRollup === events.clicks.length &&
    e.notificationsPerPaid.every((n) => n === 1) &&
    e.emailsPerPaid.every((n) => n === 1);

  /** What users do meanwhile: paid checkouts (order.paid) and redirects (link.clicked). */
  async function traffic(): Promise<void> {
    for (let i = 0; i < CHECKOUTS_PER_OUTAGE; i++) {
      const res = await client.call('POST', '/api/orders', {
        token: buyerToken,
        headers: { 'idempotency-key': randomUUID() },
        body: {
          items: [{ productId, quantity: 1 }],
          shippingAddressId: addressId,
          card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.json<{ status: string }>().status, 'paid', res.text);
    }
    for (let i = 0; i < REDIRECTS_PER_OUTAGE; i++) {
      const res = await fetch(`${stack.urls.gateway}/s/${code}`, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 302);
    }
  }

  /** Waits until the publishers sent everything and each event took effect once; fails naming the counts. */
  async function settle(label: string, started: { paid: number; clicks: number }): Promise<void> {
    let last: { events: Published; e: Effects } | undefined;
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline) {
      const events = await published();
      const e = await effects(events);
      last = { events, e };
      const sent =
        events.paid.length >= started.paid + CHECKOUTS_PER_OUTAGE &&
        events.clicks.length >= started.clicks + REDIRECTS_PER_OUTAGE;
      if (sent && exactlyOnce(events, e)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(last);
    const { events, e } = last;
    // Where an unclaimed click could still be: ready in analytics' queue, or held unacknowledged.
    const connection = await amqp.connect(infraUrls.rabbitmq);
    const channel = await connection.createChannel();
    const queue = await channel.checkQueue('analytics-link.clicked');
    await connection.close();
    table[label] = {
      'order.paid sent': String(events.paid.length),
      'link.clicked sent': String(events.clicks.length),
      'analytics claimed': String(e.analyticsClaimed),
      'click rollup': String(e.clickRollup),
      'notifications ≠ 1': String(e.notificationsPerPaid.filter((n) => n !== 1).length),
      'e-mails ≠ 1': String(e.emailsPerPaid.filter((n) => n !== 1).length),
      'clicks queued (ready/consumers)': `${queue.messageCount}/${queue.consumerCount}`,
    };
    assert.ok(events.paid.length >= started.paid + CHECKOUTS_PER_OUTAGE, `${label}: order.paid events still in the outbox`);
    assert.ok(events.clicks.length >= started.clicks + REDIRECTS_PER_OUTAGE, `${label}: link.clicked events still in the outbox`);
    assert.deepEqual(e.unclaimed, [], `${label}: published events analytics never claimed`);
    assert.equal(e.analyticsClaimed, events.paid.length + events.clicks.length, `${label}: events analytics claimed`);
    assert.equal(e.clickRollup, events.clicks.length, `${label}: clicks counted for the link`);
    assert.deepEqual(
      e.notificationsPerPaid,
      events.paid.map(() => 1),
      `${label}: notifications per paid order`,
    );
    assert.deepEqual(
      e.emailsPerPaid,
      events.paid.map(() => 1),
      `${label}: e-mails sent per paid order`,
    );
  }

  const counts = async () => {
    const { paid, clicks } = await published();
    return { paid: paid.length, clicks: clicks.length };
  };

  async function during(label: string, stop: () => Promise<void>, start: () => Promise<void>): Promise<void> {
    const started = await counts();
    await stop();
    try {
      await traffic();
    } finally {
      await start();
    }
    await settle(label, started);
  }

  it('counts every event once with every subscriber up (the baseline)', async () => {
    const started = await counts();
    await traffic();
    await settle('(nothing down)', started);
  });

  it('the check catches a lost event and a doubled click', () => {
    const events = { paid: ['a', 'b'], clicks: ['c'] };
    const fine: Effects = {
      unclaimed: [],
      analyticsClaimed: 3,
      clickRollup: 1,
      notificationsPerPaid: [1, 1],
      emailsPerPaid: [1, 1],
    };
    assert.equal(exactlyOnce(events, fine), true);
    assert.equal(exactlyOnce(events, { ...fine, analyticsClaimed: 2 }), false);
    assert.equal(exactlyOnce(events, { ...fine, clickRollup: 2 }), false);
    assert.equal(exactlyOnce(events, { ...fine, notificationsPerPaid: [1, 0] }), false);
    assert.equal(exactlyOnce(events, { ...fine, emailsPerPaid: [2, 1] }), false);
  });

  for (const subscriber of ['notifications', 'analytics'] as const) {
    it(`${subscriber} app stopped while events are published: each takes effect once after the restart`, async () => {
      await during(
        `${subscriber} app down`,
        () => stack.stopService(subscriber),
        () => stack.startService(subscriber),
      );
    });

    it(`${subscriber} sidecar stopped while events are published: each takes effect once after the restart`, async () => {
      await during(
        `${subscriber} sidecar down`,
        () => stack.stopSidecar(subscriber),
        () => stack.startSidecar(subscriber),
      );
    });
  }

  it('RabbitMQ restarted with messages queued for stopped subscribers: each takes effect once', async () => {
    await during(
      'rabbitmq restarted, queues full',
      async () => {
        await stack.stopSidecar('notifications');
        await stack.stopSidecar('analytics');
      },
      async () => {
        // The messages now sit in the subscribers' durable queues.
        await stack.stopInfra('rabbitmq');
        await stack.startInfra('rabbitmq');
        await stack.startSidecar('notifications');
        await stack.startSidecar('analytics');
      },
    );
  });
});
