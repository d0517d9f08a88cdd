/**
 * Transactional outbox for PostgreSQL services. An event is written in the same
 * transaction as the state change it announces; a relay publishes it through the
 * sidecar afterwards and retries with backoff while the broker or sidecar is down, so
 * a committed change is never left unannounced and an outage loses nothing.
 * Delivery is at least once; consumers deduplicate on eventId.
 *
 * A row the sidecar refuses (a topic its scopes deny, a bad request), or one that keeps
 * failing while other rows publish, is parked after OUTBOX_MAX_ATTEMPTS failures: kept,
 * marked with parked_at, counted and logged with its event id, and skipped from then on.
 * Failed rows are tried after fresh ones, so a failing row never holds back the rows
 * behind it. Any other failure while nothing publishes is an outage, not the row's fault:
 * the relay backs off and parks nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  checkEventData,
  cloudEventType,
  type EventData,
  type EventEnvelope,
  type EventTopic,
  eventSchemas,
} from '@meshmart/contracts/events';
import { ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import type pg from 'pg';
import { z } from 'zod';
import { env, loadConfig } from './config.ts';
import type { Migration } from './db.ts';
import { businessRetryBounds } from './deployment/retries.ts';
import type { Logger } from './logging.ts';
import { startRelayLoop } from './loop.ts';
import { eventMetrics } from './metrics.ts';
import { SidecarError } from './outages.ts';
import { currentTraceContext } from './tracing.ts';

export const outboxMigration: Migration = {
  version: 1000,
  name: 'outbox',
  sql: `
    CREATE TABLE IF NOT EXISTS outbox (
      id uuid PRIMARY KEY,
      topic text NOT NULL,
      envelope jsonb NOT NULL,
      trace_context jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    );
    CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;
  `,
};

export const outboxParkingMigration: Migration = {
  version: 1001,
  name: 'outbox parking',
  sql: `
    ALTER TABLE outbox ADD COLUMN IF NOT EXISTS parked_at timestamptz;
    DROP INDEX IF EXISTS outbox_unpublished;
    CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL AND parked_at IS NULL;
    CREATE INDEX IF NOT EXISTS outbox_parked ON outbox (parked_at) WHERE published_at IS NULL AND parked_at IS NOT NULL;
  `,
};

/** Read by every relay at start; a bad value stops the service naming the variable. */
export const outboxConfigSchema = z.object({
  OUTBOX_MAX_ATTEMPTS: env.int(businessRetryBounds.outboxMaxAttempts, 1, 1000),
});

/**
 * Adds an event to the outbox inside the caller's transaction. Code that writes events
 * for several requests in one transaction passes each request's trace context, captured
 * with currentTraceContext() while that request was active (or uses enqueueEvents).
 */
export async function enqueueEvent<T extends EventTopic>(
  client: pg.ClientBase,
  topic: T,
  data: EventData<T>,
  traceContext: Record<string, string> = currentTraceContext(),
): Promise<string> {
  const [eventId] = await enqueueEvents(client, topic, [{ data, traceContext }]);
  return eventId as string;
}

/** Events of one topic as outbox columns, one array per column for `unnest`. */
export interface OutboxBatch {
  eventIds: string[];
  /** JSON text of each envelope. */
  envelopes: string[];
  /** JSON text of each event's trace context. */
  traceContexts: string[];
}

/** Channel a relay LISTENs on: a write that adds rows notifies it, so it need not wait for its poll. */
const OUTBOX_CHANNEL = 'outbox';

/**
 * Validates the events and builds their envelopes (event ids chosen here), each with the
 * trace context of the request it belongs to, for a statement that writes them.
 */
export function outboxBatch<T extends EventTopic>(
  topic: T,
  events: Array<{ data: EventData<T>; traceContext: Record<string, string> }>,
): OutboxBatch {
  const occurredAt = new Date().toISOString();
  const envelopes: Array<EventEnvelope<T>> = events.map(({ data }) => ({
    eventId: randomUUID(),
    topic,
    version: eventSchemas[topic].version,
    occurredAt,
    data: checkEventData(topic, data),
  }));
  return {
    eventIds: envelopes.map((e) => e.eventId),
    envelopes: envelopes.map((e) => JSON.stringify(e)),
    traceContexts: events.map((e) => JSON.stringify(e.traceContext)),
  };
}

/**
 * The INSERT of outbox rows for a data-modifying CTE, so that a change and the events
 * announcing it are one statement: `source` yields the columns event_id, envelope and
 * trace_context (an `unnest` of an OutboxBatch, filtered as the statement needs), and
 * `topic` is an SQL expression, usually a parameter. It returns one row per event added.
 */
export function outboxInsert(source: string, topic: string): string {
  return `INSERT INTO outbox (id, topic, envelope, trace_context)
       SELECT event_id, ${topic}, envelope, trace_context FROM ${source}
       RETURNING 1`;
}

/**
 * The relay's wake-up for the same statement, so a write costs one round trip, not two:
 * a query that notifies the relay (one row, whose value is void) when the CTE `added`,
 * an `outboxInsert`, added any row. `topic` is the same SQL expression given there.
 */
export function outboxWakeUp(added: string, topic: string): string {
  return `SELECT pg_notify('${OUTBOX_CHANNEL}', ${topic}) AS woken WHERE EXISTS (SELECT 1 FROM ${added})`;
}

/**
 * Many events of one topic in one statement, each with the trace context of the request
 * it belongs to: a batch writer (group commit) pays one round trip, not one per event.
 */
export async function enqueueEvents<T extends EventTopic>(
  client: pg.ClientBase,
  topic: T,
  events: Array<{ data: EventData<T>; traceContext: Record<string, string> }>,
): Promise<string[]> {
  if (events.length === 0) return [];
  const batch = outboxBatch(topic, events);
  await client.query(
    `WITH added AS (
       ${outboxInsert('unnest($2::uuid[], $3::jsonb[], $4::jsonb[]) AS e(event_id, envelope, trace_context)', '$1')}
     )
     ${outboxWakeUp('added', '$1')}`,
    [topic, batch.eventIds, batch.envelopes, batch.traceContexts],
  );
  return batch.eventIds;
}

export interface Publisher {
  publish(
    pubsub: string,
    topic: string,
    data: unknown,
    options: { traceparent?: string; tracestate?: string; metadata?: Record<string, string> },
  ): Promise<void>;
}

export interface OutboxRelayOptions {
  pool: pg.Pool;
  publisher: Publisher;
  logger: Logger;
  pubsub?: string;
  batchSize?: number;
  /** Poll interval when no notification arrives. */
  pollMs?: number;
  maxBackoffMs?: number;
  /** Failures after which a row is parked; default OUTBOX_MAX_ATTEMPTS from the environment. */
  maxAttempts?: number;
}

export interface OutboxRelay {
  /** Publishes everything pending now; resolves with the number published. */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

interface Row {
  id: string;
  topic: string;
  envelope: EventEnvelope;
  trace_context: Record<string, string>;
}

/**
 * The sidecar answering that it will not publish this request (400: bad request, 403: a
 * topic the component's scopes deny) is about the row; 401, 404 (no such component) and
 * 5xx would fail every row alike.
 */
function refusedByTheSidecar(err: unknown): boolean {
  return err instanceof SidecarError && (err.sidecarStatus === 400 || err.sidecarStatus === 403);
}

export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, publisher, logger, pubsub = 'pubsub', batchSize = 100, pollMs = 1000, maxBackoffMs = 30_000 } = options;
  const maxAttempts = options.maxAttempts ?? loadConfig(outboxConfigSchema).OUTBOX_MAX_ATTEMPTS;
  let stopped = false;
  let listener: pg.PoolClient | undefined;

  async function publishBatch(): Promise<number> {
    const client = await pool.connect();
    const publishedIds: string[] = [];
    let outage: Error | undefined;
    // Published rows are marked in one statement before the commit, also when the batch
    // ends in an outage; a crash before the commit leaves them unmarked either way, and
    // consumers deduplicate on eventId.
    const markPublished = async () => {
      if (publishedIds.length === 0) return;
      await client.query({
        name: 'outbox.mark-published',
        text: 'UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])',
        values: [publishedIds],
      });
    };
    try {
      await client.query('BEGIN');
      // SKIP LOCKED lets several replicas relay in parallel without publishing a row twice.
      // Rows that failed before go last, so they cannot hold back the ones behind them.
      // Not named: its columns are the table's, and a prepared statement whose result
      // type changes under it (a migration during a rolling deploy) fails until its
      // connection closes.
      const { rows } = await client.query<Row>(
        `SELECT id, topic, envelope, trace_context FROM outbox WHERE published_at IS NULL AND parked_at IS NULL
         ORDER BY (last_error IS NOT NULL), created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      const failed: Array<{ row: Row; err: Error }> = [];
      for (const row of rows) {
        const origin = row.trace_context.traceparent ? undefined : backgroundOrigin(row.topic);
        try {
          await publisher.publish(pubsub, row.topic, row.envelope, {
            ...(origin ? { traceparent: origin.traceparent } : {}),
            ...(row.trace_context.traceparent && { traceparent: row.trace_context.traceparent }),
            ...(row.trace_context.tracestate && { tracestate: row.trace_context.tracestate }),
            metadata: {
              'cloudevent.id': row.id,
              'cloudevent.type': cloudEventType(row.topic as EventTopic),
            },
          });
          origin?.span.end();
          eventMetrics().published.inc({ topic: row.topic });
          publishedIds.push(row.id);
        } catch (err) {
          origin?.span.end();
          failed.push({ row, err: err as Error });
          if (refusedByTheSidecar(err)) continue;
          // The sidecar or the broker is failing: the rest of the batch would only wait on
          // it too.
          outage = err as Error;
          break;
        }
      }
      for (const { row, err } of failed) {
        // A refusal is about this row; any other failure is the row's fault only if other
        // rows got through in the same pass.
        const parkable = refusedByTheSidecar(err) || publishedIds.length > 0;
        const { rows: updated } = await client.query<{ attempts: number; parked: boolean }>(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
             parked_at = CASE WHEN $3 AND attempts + 1 >= $4 THEN now() END
           WHERE id = $1 RETURNING attempts, parked_at IS NOT NULL AS parked`,
          [row.id, err.message, parkable, maxAttempts],
        );
        if (updated[0]?.parked) {
          eventMetrics().outboxParked.inc({ topic: row.topic });
          logger.warn('outbox row parked: it keeps failing while other events publish', {
            event_id: row.id,
            topic: row.topic,
            attempts: updated[0].attempts,
            err: err.message,
          });
        }
      }
      await markPublished();
      await client.query('COMMIT');
      if (publishedIds.length === 0 && outage) throw outage;
      return publishedIds.length;
    } catch (err) {
      // Something threw after rows were published: they are marked if the transaction
      // still allows it; after a database error it does not, and they are published again
      // (consumers deduplicate on eventId). A failed publish does not come here.
      await markPublished()
        .then(() => client.query('COMMIT'))
        .catch(() => client.query('ROLLBACK'));
      throw Object.assign(err as Error, { published: publishedIds.length });
    } finally {
      client.release();
    }
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await publishBatch();
      total += n;
      if (n < batchSize) break;
    }
    const { rows } = await pool.query<{ pending: string; parked: string }>({
      name: 'outbox.backlog',
      text: `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL) AS pending,
              (SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NOT NULL) AS parked`,
    });
    eventMetrics().outboxPending.set(Number(rows[0]?.pending ?? 0));
    eventMetrics().outboxParkedRows.set(Number(rows[0]?.parked ?? 0));
    return total;
  }

  const loop = startRelayLoop('outbox', drain, { pollMs, maxBackoffMs, logger });

  pool.connect().then(
    async (client) => {
      if (stopped) {
        client.release();
        return;
      }
      listener = client;
      client.on('notification', () => loop.nudge());
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    },
    (err: unknown) => logger.warn('outbox LISTEN unavailable; polling only', { err: (err as Error).message }),
  );

  return {
    async flush() {
      await loop.idle();
      return drain();
    },
    async stop() {
      stopped = true;
      await loop.stop();
      if (listener) {
        await listener.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => {});
        listener.release();
      }
    },
  };
}

/**
 * An event written outside any request (a seed, a sweeper, a start-up job) has no trace to
 * join; a producer span of its own gives its deliveries a publisher to hang from, so the
 * trace still shows which service sent it. Started from the root context because the relay
 * runs with tracing suppressed.
 */
function backgroundOrigin(topic: string): { span: Span; traceparent: string } {
  const span = trace.getTracer('@meshmart/kit').startSpan(`${topic} publish`, { kind: SpanKind.PRODUCER }, ROOT_CONTEXT);
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { span, traceparent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}` };
}
