/**
 * analytics on the real PostgreSQL. Events are POSTed to the subscription routes the way
 * daprd delivers them, with the app token; tokens are signed with a test key that the
 * verifier gets as users' JWKS. No sidecar runs: the state store is an in-memory
 * stand-in that a test can make fail. Most tests place their events in an hour of
 * their own (events are bucketed by their own time), so they cannot see each other's.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createPool, deadLetterTopic, type EventTopic, eventSchemas, type RunningServer } from '@meshmart/kit';
import { topics } from '@meshmart/kit/topology';
import { createScratchDatabase, type ScratchDatabase } from '@meshmart/stack';
import { deliverEvent, infraForThisRun, testTokens } from '@meshmart/test-support';
import type pg from 'pg';
import { service } from '../src/service.ts';

const APP_TOKEN = 'analytics-int-test-token';

const infra = infraForThisRun();

interface Money {
  currency: string;
  minor: number;
}
interface Summary {
  from: string;
  to: string;
  signups: number;
  orders: { created: number; paid: number; failed: number; cancelled: number };
  revenue: Money[];
  refunded: Money[];
  linksCreated: number;
  clicks: number;
  qrGenerated: number;
  trackedEvents: number;
  generatedAt: string;
}
interface Dashboard {
  granularity: string;
  totals: Omit<Summary, 'from' | 'to' | 'generatedAt'>;
  series: Array<{ start: string; signups: number; ordersPaid: number; clicks: number; qrGenerated: number; revenue: Money[] }>;
  topLinks: Array<{ code: string; clicks: number }>;
  topProducts: Array<{ productId: string; name: string; quantity: number; revenue: Money[] }>;
  events: Array<{ topic: string; count: number }>;
}
interface Usage {
  userId: string;
  linksCreated: number;
  clicksOnLinks: number;
  qrGenerated: number;
  ordersPaid: number;
  spent: Money[];
  trackedEvents: number;
}

/** A state store stand-in that keeps entries in memory and can be made to fail. */
const state = {
  failing: false,
  entries: new Map<string, unknown>(),
  async getState<T>(_store: string, key: string) {
    if (state.failing) throw new Error('state store down');
    return { value: state.entries.get(key) as T | undefined, etag: undefined };
  },
  async saveState(_store: string, entry: { key: string; value: unknown }) {
    if (state.failing) throw new Error('state store down');
    state.entries.set(entry.key, entry.value);
    return true;
  },
  async deleteState(_store: string, key: string) {
    state.entries.delete(key);
  },
  async outboundReady() {},
  async loadedComponents() {
    return ['pubsub', 'statestore'];
  },
  async stateStoreReachable() {},
};

let hourCounter = 0;
/** A fresh UTC hour in the past for one test's events: [start, start + 1 h). */
function ownHour(): Date {
  hourCounter += 1;
  return new Date(Date.UTC(2026, 0, 1) + hourCounter * 37 * 3_600_000);
}
const plus = (t: Date, minutes: number) => new Date(t.getTime() + minutes * 60_000);
const iso = (t: Date) => t.toISOString();

describe('analytics on the real PostgreSQL', function () {
  this.timeout(30_000);
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let server: RunningServer;
  let base: string;
  let sign: (sub: string, roles?: string[]) => Promise<string>;
  let admin: string;

  before(async function () {
    this.timeout(180_000);
    await infra.start(['postgres']);
    db = await createScratchDatabase('analytics_it');
    pool = createPool(db.url, 20);

    const tokens = await testTokens();
    sign = tokens.sign;
    admin = await sign(randomUUID(), ['customer', 'admin']);

    const config = service.loadConfig({
      PORT: '1',
      DATABASE_URL: db.url,
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: APP_TOKEN,
      LOG_LEVEL: 'error',
    });
    server = await service.start(
      { ...config, PORT: 0 },
      { handleSignals: false, accessTokens: tokens.verifier, dependencies: { reportState: state } },
    );
    base = `http://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server?.close();
    await pool?.end();
    await db?.drop();
  });

  beforeEach(() => {
    state.failing = false;
  });

  function envelope(topic: string, data: Record<string, unknown>, eventId: string = randomUUID()) {
    return { eventId, topic, version: eventSchemas[topic as EventTopic].version, occurredAt: new Date().toISOString(), data };
  }

  const deliver = (event: { topic: string }, topic = event.topic): Promise<string> => deliverEvent(base, topic, event, APP_TOKEN);

  async function get<T>(path: string, token?: string): Promise<{ status: number; body: T; type: string }> {
    const res = await fetch(base + path, {
      headers: { 'dapr-api-token': APP_TOKEN, ...(token && { authorization: `Bearer ${token}` }) },
    });
    return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') ?? '' };
  }

  async function track(body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}/analytics/track`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'dapr-api-token': APP_TOKEN,
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const range = (from: Date, to: Date) => `from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
  const summary = async (from: Date, to: Date) => {
    const res = await get<Summary>(`/analytics/summary?${range(from, to)}`, admin);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const dashboard = async (from: Date, to: Date, granularity = 'hour') => {
    const res = await get<Dashboard>(`/analytics/dashboard?${range(from, to)}&granularity=${granularity}`, admin);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const usage = async (userId: string, from?: Date, to?: Date, token = admin) => {
    const res = await get<Usage>(`/analytics/users/${userId}/usage${from && to ? `?${range(from, to)}` : ''}`, token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  const click = (code: string, ownerId: string, at: Date) =>
    envelope('link.clicked', {
      clickId: randomUUID(),
      code,
      ownerId,
      referrer: '(direct)',
      userAgent: 'Firefox',
      at: iso(at),
    });

  it('subscribes to every topic of the topology, each dead-lettering, and consumes the dead letters', async () => {
    const res = await fetch(`${base}/dapr/subscribe`, { headers: { 'dapr-api-token': APP_TOKEN } });
    const entries = (await res.json()) as Array<{ topic: string; deadLetterTopic?: string }>;
    assert.deepEqual(entries.map((s) => s.topic).sort(), [...topics, deadLetterTopic].sort());
    for (const entry of entries) {
      assert.equal(entry.deadLetterTopic, entry.topic === deadLetterTopic ? undefined : deadLetterTopic, entry.topic);
    }
  });

  it('counts 100 clicks arriving together and shows them in the summary, top links and the owner’s usage', async () => {
    const hour = ownHour();
    const code = `c${randomUUID().slice(0, 8)}`;
    const other = `c${randomUUID().slice(0, 8)}`;
    const ownerId = randomUUID();
    const clicks = Array.from({ length: 100 }, (_, i) => click(code, ownerId, plus(hour, (i % 60) + 0.5)));
    const statuses = await Promise.all(clicks.map((c) => deliver(c)));
    assert.deepEqual(new Set(statuses), new Set(['SUCCESS']));
    await Promise.all([1, 2, 3].map((i) => deliver(click(other, ownerId, plus(hour, i)))));

    const s = await summary(hour, plus(hour, 60));
    assert.equal(s.clicks, 103);
    const d = await dashboard(hour, plus(hour, 60));
    assert.deepEqual(d.topLinks.slice(0, 2), [
      { code, clicks: 100 },
      { code: other, clicks: 3 },
    ]);
    assert.deepEqual(
      d.series.map((p) => [p.start, p.clicks]),
      [[iso(hour), 103]],
    );
    assert.deepEqual(d.events, [{ topic: 'link.clicked', count: 103 }]);
    assert.equal((await usage(ownerId, hour, plus(hour, 60))).clicksOnLinks, 103);
    // The hour before and the hour after saw none of them.
    assert.equal((await summary(plus(hour, -60), hour)).clicks, 0);
    assert.equal((await summary(plus(hour, 60), plus(hour, 120))).clicks, 0);
  });

  it('counts an event once however often and however concurrently it is delivered', async () => {
    const hour = ownHour();
    const code = `c${randomUUID().slice(0, 8)}`;
    const event = click(code, randomUUID(), plus(hour, 5));
    assert.equal(await deliver(event), 'SUCCESS');
    assert.equal(await deliver(event), 'SUCCESS');
    const concurrent = await Promise.all(Array.from({ length: 8 }, () => deliver(event)));
    assert.deepEqual(new Set(concurrent), new Set(['SUCCESS']));
    const fresh = click(code, randomUUID(), plus(hour, 6));
    const firstDeliveries = await Promise.all(Array.from({ length: 8 }, () => deliver(fresh)));
    assert.deepEqual(new Set(firstDeliveries), new Set(['SUCCESS']));
    assert.equal((await summary(hour, plus(hour, 60))).clicks, 2);
  });

  it('adds up revenue per currency, refunds, order outcomes, sign-ups and top products', async () => {
    const hour = ownHour();
    const p1 = `p-${randomUUID()}`;
    const p2 = `p-${randomUUID()}`;
    const order = (currency: string, lines: Array<[string, string, number, number]>, at: Date, userId = randomUUID()) => {
      const ls = lines.map(([productId, name, quantity, unitPriceMinor]) => ({ productId, name, quantity, unitPriceMinor }));
      const totalMinor = ls.reduce((n, l) => n + l.quantity * l.unitPriceMinor, 0);
      return {
        orderId: randomUUID(),
        userId,
        userEmail: 'buyer@meshmart.test',
        totalMinor,
        currency,
        at: iso(at),
        lines: ls,
      };
    };
    const a = order(
      'EUR',
      [
        [p1, 'Mug', 2, 1000],
        [p2, 'Tee', 1, 2500],
      ],
      plus(hour, 1),
    );
    const b = order('EUR', [[p1, 'Mug', 3, 1000]], plus(hour, 2));
    const c = order('USD', [[p1, 'Mug', 1, 1200]], plus(hour, 3));
    for (const o of [a, b, c]) {
      assert.equal(await deliver(envelope('order.created', o)), 'SUCCESS');
      assert.equal(await deliver(envelope('order.paid', { ...o, paymentId: randomUUID() })), 'SUCCESS');
    }
    const cancelled = { ...b, reason: 'changed my mind', refundedMinor: b.totalMinor, at: iso(plus(hour, 30)) };
    assert.equal(await deliver(envelope('order.cancelled', cancelled)), 'SUCCESS');
    const { lines: _lines, ...failed } = order('EUR', [[p2, 'Tee', 1, 2500]], plus(hour, 4));
    assert.equal(await deliver(envelope('order.failed', { ...failed, reason: 'card declined' })), 'SUCCESS');
    const userId = randomUUID();
    await deliver(
      envelope('user.registered', { userId, email: 'new@meshmart.test', displayName: 'New', registeredAt: iso(plus(hour, 7)) }),
    );
    // The newest name of a product wins, whichever event carried it.
    const renamed = { productId: p1, name: 'Big mug', category: 'kitchen', description: '', priceMinor: 1000, currency: 'EUR' };
    await deliver(envelope('product.updated', { ...renamed, revision: 2, at: iso(plus(hour, 40)) }));
    await deliver(envelope('product.updated', { ...renamed, name: 'Old mug', revision: 1, at: iso(plus(hour, 10)) }));

    const s = await summary(hour, plus(hour, 60));
    assert.deepEqual(s.orders, { created: 3, paid: 3, failed: 1, cancelled: 1 });
    assert.deepEqual(s.revenue, [
      { currency: 'EUR', minor: 4500 + 3000 },
      { currency: 'USD', minor: 1200 },
    ]);
    assert.deepEqual(s.refunded, [{ currency: 'EUR', minor: 3000 }]);
    assert.equal(s.signups, 1);

    const d = await dashboard(hour, plus(hour, 60));
    assert.deepEqual(d.topProducts, [
      {
        productId: p1,
        name: 'Big mug',
        quantity: 6,
        revenue: [
          { currency: 'EUR', minor: 5000 },
          { currency: 'USD', minor: 1200 },
        ],
      },
      { productId: p2, name: 'Tee', quantity: 1, revenue: [{ currency: 'EUR', minor: 2500 }] },
    ]);
    assert.deepEqual(d.series[0]?.revenue, s.revenue);
    assert.equal(d.series[0]?.ordersPaid, 3);
    assert.deepEqual(
      d.events.map((e) => [e.topic, e.count]),
      [
        ['order.cancelled', 1],
        ['order.created', 3],
        ['order.failed', 1],
        ['order.paid', 3],
        ['product.updated', 2],
        ['user.registered', 1],
      ],
    );
  });

  it('reads ranges over several days exactly to the hour, from day and hour buckets', async () => {
    const day = new Date(Date.UTC(2025, 5, 10));
    const code = `c${randomUUID().slice(0, 8)}`;
    const ownerId = randomUUID();
    const times = [plus(day, 22 * 60 + 30), plus(day, 36 * 60), plus(day, 49 * 60 + 15), plus(day, 73 * 60)];
    for (const t of times) assert.equal(await deliver(click(code, ownerId, t)), 'SUCCESS');
    assert.equal((await summary(plus(day, 22 * 60), plus(day, 50 * 60))).clicks, 3);
    assert.equal((await summary(plus(day, 23 * 60), plus(day, 50 * 60))).clicks, 2);
    assert.equal((await summary(plus(day, 22 * 60), plus(day, 49 * 60))).clicks, 2);
    assert.equal((await summary(day, plus(day, 96 * 60))).clicks, 4);
    const daily = await dashboard(day, plus(day, 96 * 60), 'day');
    assert.deepEqual(
      daily.series.map((p) => p.clicks),
      [1, 1, 1, 1],
    );
    assert.equal(daily.granularity, 'day');
    assert.equal((await usage(ownerId, day, plus(day, 96 * 60))).clicksOnLinks, 4);
  });

  it('reports one user’s links, clicks, QR codes, orders and spending to that user and to admins', async () => {
    const userId = randomUUID();
    const now = new Date();
    const code = `c${randomUUID().slice(0, 8)}`;
    await deliver(
      envelope('link.created', {
        code,
        ownerId: userId,
        targetUrl: 'https://example.com/',
        customAlias: true,
        expiresAt: null,
        at: iso(now),
      }),
    );
    await deliver(click(code, userId, now));
    for (const format of ['png', 'svg']) {
      await deliver(
        envelope('qr.generated', {
          qrId: randomUUID(),
          ownerId: userId,
          format,
          size: 256,
          cached: false,
          batch: false,
          at: iso(now),
        }),
      );
    }
    const paid = {
      orderId: randomUUID(),
      userId,
      userEmail: 'u@meshmart.test',
      totalMinor: 1999,
      currency: 'EUR',
      at: iso(now),
      lines: [{ productId: 'p-usage', name: 'Pen', quantity: 1, unitPriceMinor: 1999 }],
      paymentId: randomUUID(),
    };
    await deliver(envelope('order.paid', paid));

    const token = await sign(userId);
    const own = await get<Usage>(`/analytics/users/${userId}/usage`, token);
    assert.equal(own.status, 200);
    const { from: _f, to: _t, ...report } = own.body as Usage & { from: string; to: string };
    assert.deepEqual(report, {
      userId,
      linksCreated: 1,
      clicksOnLinks: 1,
      qrGenerated: 2,
      ordersPaid: 1,
      spent: [{ currency: 'EUR', minor: 1999 }],
      trackedEvents: 0,
    });
    assert.deepEqual((await usage(userId)).qrGenerated, 2, 'an admin reads it too');
    const stranger = await get(`/analytics/users/${userId}/usage`, await sign(randomUUID()));
    assert.equal(stranger.status, 403);
    assert.match(stranger.type, /problem\+json/);
  });

  it('tracks client events with and without a token, once per event id', async () => {
    const userId = randomUUID();
    const token = await sign(userId);
    const before = await summary(new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000));

    const eventId = `evt-${randomUUID()}`;
    const first = await track({ name: 'page.view', properties: { path: '/links', first: true }, eventId }, token);
    assert.deepEqual(first, { status: 202, body: { id: eventId } });
    const again = await track({ name: 'page.view', properties: { path: '/links', first: true }, eventId }, token);
    assert.deepEqual(again, { status: 202, body: { id: eventId } });
    const anonymous = await track({ name: 'page.view', occurredAt: new Date(Date.now() - 60_000).toISOString() });
    assert.equal(anonymous.status, 202);
    assert.match(String(anonymous.body.id), /^[0-9a-f-]{36}$/);
    // Another caller using the same event id is a different event.
    assert.equal((await track({ name: 'signup.started', eventId })).status, 202);

    assert.equal((await usage(userId, undefined, undefined, token)).trackedEvents, 1);
    state.entries.clear();
    const after = await summary(new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000));
    assert.equal(after.trackedEvents - before.trackedEvents, 3);
    const { rows } = await pool.query(
      'SELECT scope, user_id, name, properties FROM tracked_events WHERE event_id = $1 ORDER BY scope',
      [eventId],
    );
    assert.deepEqual(rows, [
      { scope: '', user_id: null, name: 'signup.started', properties: {} },
      { scope: userId, user_id: userId, name: 'page.view', properties: { path: '/links', first: true } },
    ]);
  });

  it('refuses tracked events with a bad token or a bad body', async () => {
    const bad = await track({ name: 'page.view' }, 'not-a-jwt');
    assert.equal(bad.status, 401);
    const badBody = await track({ name: 'Page View', extra: 1, occurredAt: '2020-01-01T00:00:00Z' });
    assert.equal(badBody.status, 400);
    assert.deepEqual((badBody.body.errors as Array<{ field: string }>).map((e) => e.field).sort(), ['extra', 'name']);
    const old = await track({ name: 'page.view', occurredAt: '2020-01-01T00:00:00Z' });
    assert.equal(old.status, 400);
    assert.deepEqual(old.body.errors, [{ field: 'occurredAt', message: 'must be within the last 24 hours' }]);
  });

  it('keeps reports to admins and answers bad queries with field errors', async () => {
    const customer = await sign(randomUUID());
    assert.equal((await get('/analytics/summary')).status, 401);
    assert.equal((await get('/analytics/summary', 'garbage')).status, 401);
    const forbidden = await get('/analytics/summary', customer);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.type, /^application\/problem\+json/);
    assert.equal((await get('/analytics/dashboard', customer)).status, 403);

    const cases: Array<[string, string[]]> = [
      ['/analytics/summary?from=yesterday', ['from']],
      ['/analytics/summary?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', ['to']],
      ['/analytics/summary?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', ['from']],
      ['/analytics/summary?limit=3', ['limit']],
      ['/analytics/dashboard?granularity=minute', ['granularity']],
      ['/analytics/dashboard?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z&granularity=hour', ['granularity']],
      ['/analytics/users/..%2Fx/usage', ['userId']],
    ];
    for (const [path, fields] of cases) {
      const res = await get<{ errors: Array<{ field: string }> }>(path, admin);
      assert.equal(res.status, 400, path);
      assert.match(res.type, /^application\/problem\+json/, path);
      assert.deepEqual(
        res.body.errors.map((e) => e.field),
        fields,
        path,
      );
    }
    const defaults = await get<Summary>('/analytics/summary', admin);
    assert.equal(defaults.status, 200);
    assert.equal(new Date(defaults.body.to).getTime() - new Date(defaults.body.from).getTime(), 24 * 3_600_000);
    const wide = await get<Dashboard>('/analytics/dashboard?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z', admin);
    assert.equal(wide.body.granularity, 'day');
    assert.equal(wide.body.series.length, 151);
  });

  it('caches reports for a short time and computes them when the state store fails', async () => {
    const hour = ownHour();
    const code = `c${randomUUID().slice(0, 8)}`;
    await deliver(click(code, randomUUID(), plus(hour, 1)));
    const first = await summary(hour, plus(hour, 60));
    await deliver(click(code, randomUUID(), plus(hour, 2)));
    const cached = await summary(hour, plus(hour, 59));
    assert.deepEqual([cached.clicks, cached.generatedAt], [first.clicks, first.generatedAt], 'same hours, cached answer');
    assert.equal(cached.to, iso(plus(hour, 59)), 'the answer still names the range asked for');

    state.failing = true;
    const computed = await summary(hour, plus(hour, 60));
    assert.equal(computed.clicks, 2);
    assert.equal((await dashboard(hour, plus(hour, 60))).topLinks[0]?.clicks, 2);
  });

  it('drops malformed events and retries when the database fails, counting nothing twice', async () => {
    const hour = ownHour();
    assert.equal(await deliver(envelope('link.clicked', { code: 'x' })), 'DROP');
    assert.equal(await deliver({ topic: 'link.clicked' }), 'DROP');

    const event = click(`c${randomUUID().slice(0, 8)}`, randomUUID(), plus(hour, 3));
    await pool.query('ALTER TABLE rollups RENAME TO rollups_away');
    try {
      assert.equal(await deliver(event), 'RETRY');
    } finally {
      await pool.query('ALTER TABLE rollups_away RENAME TO rollups');
    }
    const claimed = await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [event.eventId]);
    assert.equal(claimed.rowCount, 0, 'the failed delivery left no claim behind');
    assert.equal(await deliver(event), 'SUCCESS');
    assert.equal(await deliver(event), 'SUCCESS');
    assert.equal((await summary(hour, plus(hour, 60))).clicks, 1);
  });

  it('retries only the event the database refuses; the ones delivered alongside count once', async () => {
    const hour = ownHour();
    const code = `c${randomUUID().slice(0, 8)}`;
    const good = [click(code, randomUUID(), plus(hour, 1)), click(code, randomUUID(), plus(hour, 2))];
    // PostgreSQL refuses text with a NUL character: this event's statement fails.
    const refused = click(`bad\u0000${code}`, randomUUID(), plus(hour, 3));
    assert.deepEqual(await Promise.all([good[0], refused, good[1]].map((e) => deliver(e as { topic: string }))), [
      'SUCCESS',
      'RETRY',
      'SUCCESS',
    ]);
    const claimed = await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [refused.eventId]);
    assert.equal(claimed.rowCount, 0, 'the refused event left no claim behind');
    assert.equal((await summary(hour, plus(hour, 60))).clicks, 2, 'the good ones once each, the refused one not at all');
    assert.equal(await deliver(refused), 'RETRY', 'a redelivery of the refused event is refused again');
    assert.deepEqual(await Promise.all(good.map((e) => deliver(e))), ['SUCCESS', 'SUCCESS']);
    assert.equal((await summary(hour, plus(hour, 60))).clicks, 2, 'redeliveries of the good ones add nothing');
  });

  it('exports the analytics metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /analytics_events_counted_total\{topic="link\.clicked",service="analytics"\} \d+/);
    assert.match(text, /analytics_events_duplicate_total\{topic="link\.clicked",service="analytics"\} \d+/);
    assert.match(text, /analytics_tracked_total\{outcome="duplicate",service="analytics"\} 1/);
    assert.match(text, /analytics_cache_lookups_total\{result="hit",service="analytics"\} \d+/);
    assert.match(text, /analytics_cache_lookups_total\{result="error",service="analytics"\} \d+/);
  });
});
