/**
 * notifications on the real PostgreSQL. Events are POSTed to the subscription routes the
 * way daprd delivers them; no sidecar runs, so every e-mail send fails and stays pending,
 * which is the path these tests check (the e2e test sends real mail).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger, createPool, type EventEnvelope, type EventTopic, Sidecar } from '@meshmart/kit';
import { deliverEvent, infraForThisRun, type ServiceOnScratchDatabase, startOnScratchDatabase } from '@meshmart/test-support';
import type pg from 'pg';
import { EmailSender } from '../src/email-sender.ts';
import { NotificationStore } from '../src/notifications-store.ts';
import { service } from '../src/service.ts';

const TOKEN = 'notifications-int-test-token';
const OPS = 'ops@meshmart.test';

function envelope<T extends EventTopic>(topic: T, data: unknown): EventEnvelope<T> {
  return { eventId: randomUUID(), topic, version: 1, occurredAt: new Date().toISOString(), data } as EventEnvelope<T>;
}

const registered = (userId = randomUUID()) =>
  envelope('user.registered', {
    userId,
    email: `${userId}@meshmart.test`,
    displayName: 'Ada',
    registeredAt: new Date().toISOString(),
  });

const infra = infraForThisRun();

describe('notifications on the real PostgreSQL', () => {
  let notifications: ServiceOnScratchDatabase;
  let pool: pg.Pool;
  let base: string;

  before(async function () {
    this.timeout(180_000);
    notifications = await startOnScratchDatabase(infra, 'notifications_it', (env) => {
      const config = service.loadConfig({
        ...env,
        APP_API_TOKEN: TOKEN,
        OPS_EMAIL: OPS,
        // The retry loop stays out of the way; the tests drive retries themselves.
        EMAIL_RETRY_POLL_MS: '600000',
      });
      return service.start({ ...config, PORT: 0 }, { handleSignals: false });
    });
    base = notifications.base;
    pool = createPool(notifications.db.url, 4);
  });

  after(async () => {
    await pool?.end();
    await notifications?.stop();
  });

  const deliver = (event: { topic: string }, topic = event.topic) => deliverEvent(base, topic, event, TOKEN);

  const count = async (sql: string, params: unknown[]) => Number((await pool.query(sql, params)).rows[0].n);

  it('subscribes to the five topics of the topology', async () => {
    const res = await fetch(`${base}/dapr/subscribe`, { headers: { 'dapr-api-token': TOKEN } });
    const topics = ((await res.json()) as Array<{ topic: string }>).map((s) => s.topic).sort();
    assert.deepEqual(topics, ['inventory.low_stock', 'order.cancelled', 'order.failed', 'order.paid', 'user.registered']);
  });

  it('stores one notification and one pending e-mail per event, however often it is delivered', async () => {
    const event = registered();
    const userId = (event.data as { userId: string }).userId;
    assert.equal(await deliver(event), 'SUCCESS');
    assert.equal(await deliver(event), 'SUCCESS');
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => deliver(event)));
    assert.deepEqual(new Set(concurrent), new Set(['SUCCESS']));
    assert.equal(await count('SELECT count(*) AS n FROM notifications WHERE user_id = $1', [userId]), 1);
    const { rows } = await pool.query(
      'SELECT email_to, subject, status, attempts, last_error FROM outgoing_emails WHERE event_id = $1',
      [event.eventId],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].email_to, `${userId}@meshmart.test`);
    assert.equal(rows[0].subject, 'Welcome to meshmart');
    // No sidecar: the immediate send failed once and the e-mail waits for the retry loop.
    assert.equal(rows[0].status, 'pending');
    assert.equal(rows[0].attempts, 1);
    assert.match(rows[0].last_error, /sidecar/);
  });

  it('handles concurrent first deliveries of one event once', async () => {
    const event = registered();
    const statuses = await Promise.all(Array.from({ length: 8 }, () => deliver(event)));
    assert.deepEqual(new Set(statuses), new Set(['SUCCESS']));
    assert.equal(await count('SELECT count(*) AS n FROM notifications WHERE event_id = $1', [event.eventId]), 1);
    assert.equal(await count('SELECT count(*) AS n FROM outgoing_emails WHERE event_id = $1', [event.eventId]), 1);
  });

  it('mails low stock to the operators without an in-app notification', async () => {
    const event = envelope('inventory.low_stock', {
      productId: 'p-1',
      name: 'Mug',
      available: 2,
      threshold: 5,
      at: new Date().toISOString(),
    });
    assert.equal(await deliver(event), 'SUCCESS');
    const { rows } = await pool.query('SELECT email_to, notification_id FROM outgoing_emails WHERE event_id = $1', [
      event.eventId,
    ]);
    assert.deepEqual(rows, [{ email_to: OPS, notification_id: null }]);
    assert.equal(await count('SELECT count(*) AS n FROM notifications WHERE event_id = $1', [event.eventId]), 0);
  });

  it('drops malformed events and writes nothing', async () => {
    const event = envelope('order.paid', { orderId: 'o-1', userId: 'u-1' });
    assert.equal(await deliver(event), 'DROP');
    const notAnEnvelope = { topic: 'order.paid', nonsense: true };
    assert.equal(await deliver(notAnEnvelope), 'DROP');
    assert.equal(await count('SELECT count(*) AS n FROM processed_events WHERE event_id = $1', [event.eventId]), 0);
  });

  it('lists each user only their own notifications, newest first, and marks them read', async () => {
    const userA = randomUUID();
    const userB = randomUUID();
    const order = (userId: string, orderId: string) =>
      envelope('order.paid', {
        orderId,
        userId,
        userEmail: `${userId}@meshmart.test`,
        totalMinor: 1999,
        currency: 'EUR',
        at: new Date().toISOString(),
        lines: [{ productId: 'p-1', name: 'Mug', quantity: 1, unitPriceMinor: 1999 }],
        paymentId: randomUUID(),
      });
    await deliver(registered(userA));
    await deliver(order(userA, 'order-a'));
    await deliver(registered(userB));

    const store = new NotificationStore(pool);
    const a = await store.list(userA, { limit: 20, offset: 0 });
    assert.equal(a.total, 2);
    assert.deepEqual(
      a.items.map((n) => n.kind),
      ['order_paid', 'welcome'],
    );
    assert.match(a.items[0]?.body ?? '', /€19\.99 for order order-a/);
    const b = await store.list(userB, { limit: 20, offset: 0 });
    assert.deepEqual(
      b.items.map((n) => n.kind),
      ['welcome'],
    );

    const first = a.items[0]?.id ?? '';
    assert.equal(await store.markRead(userB, first), false, "another user's notification is not found");
    assert.equal(await store.markRead(userA, first), true);
    assert.equal(await store.markRead(userA, first), true);
    assert.deepEqual(
      (await store.list(userA, { limit: 20, offset: 0, unread: true })).items.map((n) => n.kind),
      ['welcome'],
    );
    const paged = await store.list(userA, { limit: 1, offset: 1 });
    assert.deepEqual([paged.total, paged.items.length, paged.items[0]?.kind], [2, 1, 'welcome']);
  });

  it('asks for a bearer token on the REST routes and checks its parameters', async () => {
    const res = await fetch(`${base}/notifications`, { headers: { 'dapr-api-token': TOKEN } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    const noApp = await fetch(`${base}/notifications`);
    assert.equal(noApp.status, 401);
  });

  it('retries pending e-mail with backoff and gives up after the attempt limit', async () => {
    const event = registered();
    await deliver(event);
    const sender = new EmailSender({
      pool,
      bindings: new Sidecar({ daprHttpPort: 9 }),
      bindingName: 'smtp',
      logger: createLogger('notifications-test', 'error'),
      maxAttempts: 3,
      pollMs: 60_000,
      maxBackoffMs: 60_000,
    });
    const due = () => pool.query("UPDATE outgoing_emails SET next_attempt_at = now() WHERE status = 'pending'");
    const state = async () =>
      (
        await pool.query('SELECT status, attempts, next_attempt_at > now() AS later FROM outgoing_emails WHERE event_id = $1', [
          event.eventId,
        ])
      ).rows[0];
    assert.deepEqual(await state(), { status: 'pending', attempts: 1, later: true });
    assert.equal(await sender.sendDue(), 0, 'not due yet after the first failure');
    await due();
    assert.equal(await sender.sendDue(), 0);
    assert.deepEqual(await state(), { status: 'pending', attempts: 2, later: true });
    await due();
    await sender.sendDue();
    assert.deepEqual((await state()).status, 'failed');
    await sender.stop();
  });

  it('exports the notification metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /notifications_sent_total\{channel="in_app",kind="welcome",service="notifications"\} \d+/);
    assert.match(text, /notifications_email_failures_total\{service="notifications"\} \d+/);
  });
});
