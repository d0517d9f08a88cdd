/**
 * Dead letters and parked outbox rows on the real broker through a real daprd, with
 * nothing standing in for them: a small subscriber app mounts the kit's subscriptions (the
 * code every service mounts) and its own daprd runs the local stack's pub/sub component
 * and Resiliency policy as dapr-files.ts generates them, on a RabbitMQ virtual host of the
 * test's own, with publishing scoped so the sidecar refuses one topic. A malformed event
 * and one whose handler always fails are published ahead of a good one: the good one is
 * handled, the two bad ones reach the dead-letter topic once each (read back from
 * RabbitMQ and from the counter), and after the bounded retries nothing comes back. The
 * outbox relay, on a scratch PostgreSQL database, parks the row of the refused topic while
 * the rows behind it publish. The last two cases stage outages with stand-in publishers
 * (a stopped sidecar would do the same, slower, and could not be stopped after exactly
 * two publishes): rows published before an outage stay marked, and while every publish
 * fails nothing is parked.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createApp,
  createLogger,
  deadLetterTopic,
  type EventData,
  type EventEnvelope,
  type EventTopic,
  enqueueEvent,
  eventMetrics,
  finishApp,
  migrate,
  mountSubscriptions,
  outboxMigration,
  outboxParkingMigration,
  type Publisher,
  type RunningServer,
  Sidecar,
  serve,
  startOutboxRelay,
} from '@meshmart/kit';
import { retryWindowMs } from '@meshmart/kit/deployment/resiliency';
import { eventually, freePort, infraForThisRun } from '@meshmart/test-support';
import amqp from 'amqplib';
import pg from 'pg';
import { stringify } from 'yaml';
import { daprComponent, daprFileLocations, daprResiliency, deliveryPolicy } from '../src/dapr-files.ts';
import { daprdBinary } from '../src/sidecar.ts';
import { createScratchDatabase, createScratchVhost, type ScratchDatabase } from '../src/test-infra.ts';

const infra = infraForThisRun();
const APP_ID = `dlq-test-${randomBytes(3).toString('hex')}`;
const API_TOKEN = randomBytes(16).toString('hex');
const APP_TOKEN = randomBytes(16).toString('hex');

function paid(eventId: string): EventEnvelope<'order.paid'> {
  const at = new Date().toISOString();
  return {
    eventId,
    topic: 'order.paid',
    version: 1,
    occurredAt: at,
    data: {
      orderId: randomUUID(),
      userId: randomUUID(),
      userEmail: 'dead@example.com',
      totalMinor: 100,
      currency: 'EUR',
      at,
      lines: [{ productId: 'p', name: 'P', quantity: 1, unitPriceMinor: 100 }],
      paymentId: randomUUID(),
    },
  };
}

/** The longest wait daprd's retries can draw, plus slack for the tries themselves. */
const retryBudgetMs = retryWindowMs(deliveryPolicy.retry).most + 10_000;

const deadLettered = async (topic: string, reason: string) =>
  (await eventMetrics().deadLettered.get()).values.find((v) => v.labels.topic === topic && v.labels.reason === reason)?.value ??
  0;

describe('dead letters through a real daprd and RabbitMQ', function () {
  this.timeout(retryBudgetMs + 120_000);
  const logger = createLogger('dlq-test', 'error');
  const handled: string[] = [];
  const failing = new Map<string, number>();
  let poisonId = '';
  let dir = '';
  let vhost: Awaited<ReturnType<typeof createScratchVhost>> | undefined;
  let server: RunningServer | undefined;
  let daprd: ChildProcess | undefined;
  let daprdLog = '';
  let connection: amqp.ChannelModel | undefined;
  let sidecar: Sidecar;
  const deadLetters: Array<{ topic: string; id: string }> = [];

  before(async function () {
    this.timeout(180_000);
    await infra.start(['rabbitmq', 'postgres']);
    vhost = await createScratchVhost('dlq');

    const service = createApp({ service: 'dlq-test', logger, appToken: APP_TOKEN });
    mountSubscriptions(
      service.router,
      [
        {
          topic: 'order.paid',
          async handle(event) {
            if (event.eventId === poisonId) {
              failing.set(event.eventId, (failing.get(event.eventId) ?? 0) + 1);
              throw new Error('this handler always fails');
            }
            handled.push(event.eventId);
          },
        },
      ],
      logger,
      { consumeDeadLetters: true },
    );
    server = await serve(finishApp(service), { port: 0, host: '127.0.0.1', logger, handleSignals: false });

    // Read the dead-letter topic straight from the broker: an exchange Dapr declares the same way.
    connection = await amqp.connect(vhost.url);
    const channel = await connection.createChannel();
    await channel.assertExchange(deadLetterTopic, 'fanout', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, deadLetterTopic, '');
    await channel.consume(queue, (msg) => {
      if (!msg) return;
      const cloudEvent = JSON.parse(msg.content.toString()) as { topic: string; id: string };
      deadLetters.push({ topic: cloudEvent.topic, id: cloudEvent.id });
      channel.ack(msg);
    });

    dir = await mkdtemp(path.join(tmpdir(), 'meshmart-dlq-'));
    await mkdir(path.join(dir, 'components'));
    const at = { ...daprFileLocations('run'), dir };
    const pubsub = daprComponent('pubsub', [APP_ID], at);
    pubsub.spec.metadata = [
      ...pubsub.spec.metadata.map((m) => (m.name === 'connectionString' ? { name: m.name, value: vhost?.url ?? '' } : m)),
      // Every other topic is refused with a 403, as a component scoped too narrowly would.
      { name: 'publishingScopes', value: `${APP_ID}=order.paid,${deadLetterTopic}` },
    ];
    await writeFile(path.join(dir, 'components', 'pubsub.yaml'), stringify(pubsub));
    await writeFile(path.join(dir, 'components', 'resiliency.yaml'), stringify(daprResiliency()));
    await writeFile(
      path.join(dir, 'config.yaml'),
      stringify({
        apiVersion: 'dapr.io/v1alpha1',
        kind: 'Configuration',
        metadata: { name: 'dlq-test' },
        spec: {
          nameResolution: {
            component: 'sqlite',
            version: 'v1',
            configuration: { connectionString: path.join(dir, 'names.db') },
          },
        },
      }),
    );
    const [http, grpcPort, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    daprd = spawn(
      daprdBinary,
      [
        ...['--app-id', APP_ID, '--app-port', String(server.port), '--app-protocol', 'http'],
        ...['--app-channel-address', '127.0.0.1', '--dapr-listen-addresses', '127.0.0.1'],
        ...['--dapr-http-port', String(http), '--dapr-grpc-port', String(grpcPort)],
        ...['--dapr-internal-grpc-port', String(internal), '--dapr-internal-grpc-listen-address', '127.0.0.1'],
        ...['--metrics-port', String(metrics), '--metrics-listen-address', '127.0.0.1'],
        ...['--resources-path', path.join(dir, 'components'), '--config', path.join(dir, 'config.yaml')],
        ...['--log-level', 'warn'],
      ],
      {
        env: { ...process.env, DAPR_API_TOKEN: API_TOKEN, APP_API_TOKEN: APP_TOKEN, DAPR_HOST_IP: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (chunk: Buffer) => {
      daprdLog = (daprdLog + chunk.toString()).slice(-20_000);
    };
    daprd.stdout?.on('data', keep);
    daprd.stderr?.on('data', keep);
    sidecar = new Sidecar({ daprHttpPort: http, daprApiToken: API_TOKEN });
    await eventually(
      'daprd to subscribe the app to its topic and the dead-letter topic',
      async () => {
        const res = await fetch(`http://127.0.0.1:${http}/v1.0/metadata`, { headers: { 'dapr-api-token': API_TOKEN } });
        if (!res.ok) return undefined;
        const body = (await res.json()) as { subscriptions?: Array<{ topic: string; deadLetterTopic?: string }> };
        const subs = body.subscriptions ?? [];
        const main = subs.find((s) => s.topic === 'order.paid');
        return main?.deadLetterTopic === deadLetterTopic && subs.some((s) => s.topic === deadLetterTopic) ? true : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${daprdLog}`);
    });
  });

  after(async () => {
    if (daprd && daprd.exitCode === null) {
      const exited = new Promise((resolve) => daprd?.once('exit', resolve));
      daprd.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (daprd.exitCode === null) daprd.kill('SIGKILL');
    }
    await server?.close();
    await connection?.close().catch(() => {});
    await vhost?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('dead-letters a malformed event and one that always fails, once each, and handles the good one behind them', async () => {
    const malformedBefore = await deadLettered('order.paid', 'malformed');
    const undeliverableBefore = await deadLettered('order.paid', 'undeliverable');
    poisonId = randomUUID();
    const goodId = randomUUID();
    const malformedCloudEventId = randomUUID();
    await sidecar.publish(
      'pubsub',
      'order.paid',
      { eventId: 'x', topic: 'order.paid', version: 1, data: { nonsense: true } },
      {
        metadata: { 'cloudevent.id': malformedCloudEventId },
      },
    );
    await sidecar.publish('pubsub', 'order.paid', paid(poisonId), { metadata: { 'cloudevent.id': poisonId } });
    await sidecar.publish('pubsub', 'order.paid', paid(goodId), { metadata: { 'cloudevent.id': goodId } });

    // The good event is not held back by the one being retried.
    await eventually('the good event to be handled', async () => (handled.includes(goodId) ? true : undefined), 30_000);
    await eventually(
      'both bad events on the dead-letter topic',
      async () => (deadLetters.length >= 2 ? true : undefined),
      retryBudgetMs,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; seen ${JSON.stringify(deadLetters)}; attempts ${failing.get(poisonId)}\n${daprdLog}`);
    });
    const attempts = failing.get(poisonId) ?? 0;
    // Quiet period: a redelivery after the dead-lettering would show up here.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    assert.deepEqual(
      deadLetters.map((d) => d.id).sort(),
      [malformedCloudEventId, poisonId].sort(),
      'exactly the two bad events, once each',
    );
    assert.ok(
      deadLetters.every((d) => d.topic === 'order.paid'),
      'dead letters keep the topic they failed on',
    );
    assert.equal(attempts, deliveryPolicy.retry.maxRetries + 1, 'the first delivery and the bounded retries');
    assert.equal(failing.get(poisonId), attempts, 'no delivery after the dead-lettering');
    assert.deepEqual(handled, [goodId], 'the good event handled once, the bad ones never');
    assert.equal((await deadLettered('order.paid', 'malformed')) - malformedBefore, 1);
    assert.equal((await deadLettered('order.paid', 'undeliverable')) - undeliverableBefore, 1);
  });

  describe('outbox rows that cannot be published', function () {
    this.timeout(120_000);
    const logger = createLogger('outbox-test', 'error');
    let db: ScratchDatabase | undefined;
    let pool: pg.Pool | undefined;

    before(async () => {
      await infra.start(['postgres']);
      db = await createScratchDatabase('outbox_park');
      pool = new pg.Pool({ connectionString: db.url, max: 4 });
      await migrate(pool, [outboxMigration, outboxParkingMigration]);
    });

    after(async () => {
      await pool?.end();
      await db?.drop();
    });

    const enqueue = async <T extends EventTopic>(topic: T, data: EventData<T>) => {
      const client = await (pool as pg.Pool).connect();
      try {
        return await enqueueEvent(client, topic, data, {});
      } finally {
        client.release();
      }
    };
    const row = async (id: string) =>
      (
        await (pool as pg.Pool).query<{ attempts: number; parked: boolean; published: boolean }>(
          'SELECT attempts, parked_at IS NOT NULL AS parked, published_at IS NOT NULL AS published FROM outbox WHERE id = $1',
          [id],
        )
      ).rows[0];
    /** A relay through a stand-in publisher that retries failed passes quickly and never polls on its own. */
    const relayThrough = (publisher: Publisher, maxAttempts: number) =>
      startOutboxRelay({ pool: pool as pg.Pool, publisher, logger, maxAttempts, pollMs: 60_000, maxBackoffMs: 100 });
    const parkedCount = async (topic: string) =>
      (await eventMetrics().outboxParked.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;

    it('parks a row the real sidecar refuses after OUTBOX_MAX_ATTEMPTS, while the rows behind it publish', async () => {
      const before = await parkedCount('product.deleted');
      const refused = await enqueue('product.deleted', { productId: 'p-refused', revision: 1, at: new Date().toISOString() });
      const behind = [await enqueue('order.paid', paid('').data), await enqueue('order.paid', paid('').data)];
      const relay = startOutboxRelay({ pool: pool as pg.Pool, publisher: sidecar, logger, maxAttempts: 3, pollMs: 100 });
      try {
        await eventually('the rows behind the refused one to be published', async () => {
          const rows = await Promise.all(behind.map(row));
          return rows.every((r) => r?.published) ? true : undefined;
        });
        await eventually('the refused row to be parked', async () => ((await row(refused))?.parked ? true : undefined));
        await relay.flush();
        await relay.flush();
        assert.deepEqual(await row(refused), { attempts: 3, parked: true, published: false }, 'parked, kept, tried no more');
        assert.equal((await parkedCount('product.deleted')) - before, 1);
        assert.equal((await eventMetrics().outboxParkedRows.get()).values[0]?.value, 1);
      } finally {
        await relay.stop();
      }
    });

    it('keeps the rows published before an outage marked, and publishes the rest once, when the sidecar is back', async () => {
      const ids = [
        await enqueue('order.paid', paid('').data),
        await enqueue('order.paid', paid('').data),
        await enqueue('order.paid', paid('').data),
      ];
      const published: string[] = [];
      let throughBeforeOutage = 2;
      const flaky: Publisher = {
        async publish(_pubsub, _topic, _data, options) {
          if (throughBeforeOutage <= 0) throw new Error('connect ECONNREFUSED 127.0.0.1:3500');
          throughBeforeOutage--;
          published.push(options.metadata?.['cloudevent.id'] ?? '');
        },
      };
      const relay = relayThrough(flaky, 1000);
      try {
        await eventually('the third row to fail', async () =>
          ((await row(ids[2] as string))?.attempts ?? 0) >= 1 ? true : undefined,
        );
        assert.deepEqual(
          await Promise.all(ids.map(async (id) => (await row(id))?.published)),
          [true, true, false],
          'the two rows published before the outage are marked in the same pass',
        );
        // A pass that published something ends without backing off; the failed row waits
        // for the next poll or wake-up, which flush stands in for here.
        throughBeforeOutage = Number.POSITIVE_INFINITY;
        await relay.flush();
        assert.equal((await row(ids[2] as string))?.published, true, 'the third row is published on the next pass');
        assert.deepEqual(
          published.filter((id) => ids.includes(id)),
          ids,
          'each row published once, in order',
        );
      } finally {
        await relay.stop();
      }
    });

    it('parks nothing while every publish fails: that is an outage, not a bad row', async () => {
      const id = await enqueue('order.paid', paid('').data);
      const down: Publisher = {
        async publish() {
          throw new Error('connect ECONNREFUSED 127.0.0.1:3500');
        },
      };
      // The relay's own loop retries, backing off; a flush of ours could find the row
      // locked by that loop's pass.
      const relay = relayThrough(down, 2);
      try {
        await eventually('twice OUTBOX_MAX_ATTEMPTS failed publishes', async () =>
          ((await row(id))?.attempts ?? 0) >= 4 ? true : undefined,
        );
        assert.equal((await row(id))?.parked, false);
      } finally {
        await relay.stop();
      }
    });
  });
});
