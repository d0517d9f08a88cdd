/**
 * The outbox relay's bulk publishing, with a stand-in publisher (a unit test: no sidecar,
 * no database). Which rows count as published and which are retried is decided here; the
 * relay on PostgreSQL and a real daprd is tools/stack/test/dead-letters.int.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cloudEventType, type EventEnvelope, type EventTopic } from '@meshmart/contracts/events';
import type { BulkPublishEntry } from '../src/dapr.ts';
import { SidecarError } from '../src/outages.ts';
import { type BulkPublisher, type OutboxRow, publishRows } from '../src/outbox.ts';

const row = (topic: EventTopic, traceparent?: string): OutboxRow => {
  const id = randomUUID();
  // The relay passes the envelope on as stored; its data is not looked at here.
  const envelope = { eventId: id, topic, version: 1, occurredAt: new Date().toISOString(), data: {} } as EventEnvelope;
  return { id, topic, envelope, trace_context: traceparent ? { traceparent } : {} };
};

/** Records every call; `answer` decides what each call does. */
function recordingPublisher(
  answer: (topic: string, entries: BulkPublishEntry[]) => Promise<{ failed: Array<{ entryId: string; error: string }> }>,
) {
  const calls: Array<{ topic: string; entries: BulkPublishEntry[]; traceparent: string | undefined }> = [];
  const publisher: BulkPublisher = {
    async publishBulk(_pubsub, topic, entries, options) {
      calls.push({ topic, entries, traceparent: options.traceparent });
      return answer(topic, entries);
    },
  };
  return { publisher, calls };
}

describe('outbox bulk publishing', () => {
  it('publishes each topic in one call, each event with its id, type and its own trace', async () => {
    const traced = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const rows = [row('link.clicked', traced), row('link.created'), row('link.clicked')];
    const { publisher, calls } = recordingPublisher(async () => ({ failed: [] }));
    const result = await publishRows(rows, publisher, 'pubsub');
    assert.deepEqual(
      calls.map((c) => [c.topic, c.entries.map((e) => e.entryId)]),
      [
        ['link.clicked', [rows[0]?.id, rows[2]?.id]],
        ['link.created', [rows[1]?.id]],
      ],
    );
    const first = calls[0]?.entries[0];
    assert.equal(first?.metadata?.['cloudevent.id'], rows[0]?.id);
    assert.equal(first?.metadata?.['cloudevent.type'], cloudEventType('link.clicked'));
    assert.equal(first?.metadata?.['cloudevent.traceparent'], traced);
    // The call itself is not traced (flags 00): only the events' own traces are.
    assert.match(calls[0]?.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    // A row written outside any request gets a trace of its own, not none.
    assert.match(calls[1]?.entries[0]?.metadata?.['cloudevent.traceparent'] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.deepEqual(result.published, rows.filter((r) => r.topic === 'link.clicked').concat(rows[1] ?? []));
    assert.deepEqual(result.failed, []);
    assert.equal(result.outage, undefined);
  });

  it('retries only the entry the broker did not take; the rest of its call counts as published', async () => {
    const rows = [row('link.clicked'), row('link.clicked'), row('link.clicked')];
    const unlucky = rows[1]?.id as string;
    const { publisher } = recordingPublisher(async () => ({ failed: [{ entryId: unlucky, error: 'no confirmation' }] }));
    const result = await publishRows(rows, publisher, 'pubsub');
    assert.deepEqual(
      result.published.map((r) => r.id),
      [rows[0]?.id, rows[2]?.id],
    );
    assert.deepEqual(
      result.failed.map((f) => f.row.id),
      [unlucky],
    );
    assert.match(result.failed[0]?.err.message ?? '', /no confirmation/);
    assert.equal(result.outage, undefined, 'one entry failing is not an outage');
  });

  it('fails the rows of a refused topic and goes on with the other topics', async () => {
    const rows = [row('product.deleted'), row('order.paid'), row('order.paid')];
    const { publisher, calls } = recordingPublisher(async (topic) => {
      if (topic === 'product.deleted')
        throw new SidecarError('bulk publish to product.deleted failed: 403', 403, 'ERR_PUBSUB_FORBIDDEN');
      return { failed: [] };
    });
    const result = await publishRows(rows, publisher, 'pubsub');
    assert.equal(calls.length, 2);
    assert.deepEqual(
      result.failed.map((f) => f.row.id),
      [rows[0]?.id],
    );
    assert.deepEqual(
      result.published.map((r) => r.id),
      [rows[1]?.id, rows[2]?.id],
    );
    assert.equal(result.outage, undefined);
  });

  it('stops at a sidecar that fails a whole call: an outage, the topics after it untried', async () => {
    const rows = [row('order.paid'), row('link.clicked')];
    const down = new Error('connect ECONNREFUSED 127.0.0.1:3500');
    const { publisher, calls } = recordingPublisher(async () => {
      throw down;
    });
    const result = await publishRows(rows, publisher, 'pubsub');
    assert.equal(calls.length, 1, 'the second topic is not tried');
    assert.equal(result.outage, down);
    assert.deepEqual(
      result.failed.map((f) => f.row.id),
      [rows[0]?.id],
    );
    assert.deepEqual(result.published, []);
  });
});
