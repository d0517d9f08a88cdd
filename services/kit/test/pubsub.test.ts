import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import winston from 'winston';
import { eventMetrics } from '../src/metrics.ts';
import {
  DropEvent,
  deadLetterTopic,
  deliver,
  readModelSubscriptions,
  recordDeadLetter,
  type Subscription,
  subscriptionEntries,
} from '../src/pubsub.ts';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Array<{ level: string; message: string; [k: string]: unknown }> = [];
  const logger = winston.createLogger({
    level: 'debug',
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          objectMode: true,
          write(chunk: unknown, _enc, done) {
            lines.push(chunk as (typeof lines)[number]);
            done();
          },
        }),
      }),
    ],
  });
  return { logger, lines };
}

const validEnvelope = () => ({
  eventId: randomUUID(),
  topic: 'product.deleted',
  version: 2,
  occurredAt: new Date().toISOString(),
  data: { productId: 'p1', revision: 3, at: new Date().toISOString() },
});

const count = async (topic: string, reason: string) =>
  (await eventMetrics().deadLettered.get()).values.find((v) => v.labels.topic === topic && v.labels.reason === reason)?.value ??
  0;

describe('subscriptions and dead letters', () => {
  const sub = (handle: Subscription['handle']): Subscription => ({ topic: 'product.deleted', handle });

  it('names the dead-letter topic on every subscription, and only the consumer subscribes to it, without one', () => {
    const subs = [sub(async () => {}), { ...sub(async () => {}), topic: 'order.paid' as const }];
    const plain = subscriptionEntries(subs);
    assert.deepEqual(
      plain.map((e) => [e.topic, e.deadLetterTopic]),
      [
        ['product.deleted', deadLetterTopic],
        ['order.paid', deadLetterTopic],
      ],
    );
    const consuming = subscriptionEntries(subs, { consumeDeadLetters: true });
    assert.equal(consuming.length, 3);
    assert.deepEqual(consuming[2], { pubsubname: 'pubsub', topic: deadLetterTopic, route: '/events/deadletters' });
  });

  it('drops a malformed event with one warning, retries a failing handler, drops on DropEvent', async () => {
    const { logger, lines } = capturingLogger();
    assert.equal(
      await deliver(
        sub(async () => {}),
        { id: 'c1', data: { nonsense: true } },
        logger,
      ),
      'DROP',
    );
    assert.deepEqual(
      lines.map((l) => l.level),
      ['warn'],
    );
    assert.equal(lines[0]?.cloud_event_id, 'c1');
    const failing = sub(async () => {
      throw new Error('database down');
    });
    assert.equal(await deliver(failing, { data: validEnvelope() }, logger), 'RETRY');
    const refusing = sub(async () => {
      throw new DropEvent('cannot name a reservation');
    });
    assert.equal(await deliver(refusing, { data: validEnvelope() }, logger), 'DROP');
    assert.equal(
      await deliver(
        sub(async () => {}),
        { data: validEnvelope() },
        logger,
      ),
      'SUCCESS',
    );
  });

  it('counts each dead letter once by the topic it failed on and why, with one warning', async () => {
    const { logger, lines } = capturingLogger();
    const malformed = await count('order.paid', 'malformed');
    const undeliverable = await count('product.deleted', 'undeliverable');
    const event = validEnvelope();
    assert.deepEqual(recordDeadLetter({ id: 'c2', topic: 'order.paid', data: { nonsense: true } }, logger), {
      topic: 'order.paid',
      reason: 'malformed',
    });
    assert.deepEqual(recordDeadLetter({ id: event.eventId, topic: 'product.deleted', data: event }, logger), {
      topic: 'product.deleted',
      reason: 'undeliverable',
    });
    assert.equal((await count('order.paid', 'malformed')) - malformed, 1);
    assert.equal((await count('product.deleted', 'undeliverable')) - undeliverable, 1);
    assert.deepEqual(
      lines.map((l) => [l.level, l.event_id]),
      [
        ['warn', undefined],
        ['warn', event.eventId],
      ],
    );
  });

  it('keeps the topic label to the topology: anything else is counted as unknown', async () => {
    const { logger } = capturingLogger();
    const before = await count('unknown', 'malformed');
    assert.equal(recordDeadLetter({ topic: `attacker-${randomUUID()}`, data: 1 }, logger).topic, 'unknown');
    assert.equal(recordDeadLetter({ data: 1 }, logger).topic, 'unknown');
    assert.equal((await count('unknown', 'malformed')) - before, 2);
  });

  it('hands a read model each event of its topics and reports whether it changed anything', async () => {
    const { logger } = capturingLogger();
    const seen: string[] = [];
    const [deleted, created] = readModelSubscriptions(
      {
        'product.deleted': async (data) => data.revision > 2,
        'product.created': async () => {
          throw new Error('index down');
        },
      },
      (topic, applied, event) => seen.push(`${topic} ${applied} ${event.eventId.length}`),
    );
    assert.deepEqual([deleted?.topic, created?.topic], ['product.deleted', 'product.created']);
    if (!deleted || !created) throw new Error('two subscriptions expected');
    assert.equal(await deliver(deleted, { data: validEnvelope() }, logger), 'SUCCESS');
    const older = { ...validEnvelope(), data: { productId: 'p1', revision: 1, at: new Date().toISOString() } };
    assert.equal(await deliver(deleted, { data: older }, logger), 'SUCCESS');
    assert.deepEqual(seen, ['product.deleted true 36', 'product.deleted false 36']);
    assert.equal(await deliver(created, { data: validEnvelope() }, logger), 'RETRY', 'a failing applier has Dapr redeliver');
    assert.equal(seen.length, 2, 'an event that failed is reported neither applied nor stale');
  });
});
