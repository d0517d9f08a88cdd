/**
 * The rollups in PostgreSQL: counting an event once, and the sums reports read.
 *
 * Counting is one statement per batch of events (or per tracked event), so one implicit
 * transaction and one round trip: it claims the ids and adds the increments and names of
 * the events whose claim is new.
 * A redelivery arriving while the first delivery is still running waits on the id's
 * primary key and then finds it taken, so it adds nothing. The row locks on hot cells
 * (the hour's click count) are held only for that one statement.
 */
import type pg from 'pg';
import { type Granularity, readPlan } from './buckets.ts';
import { distinctNames, type Increment, type Metric, metrics, type ProductName, rollupRows } from './increments.ts';

export interface Money {
  currency: string;
  minor: number;
}

export interface Cell {
  metric: Metric;
  dimension: string;
  currency: string;
  total: number;
}

export interface SeriesCell {
  start: Date;
  metric: Metric;
  currency: string;
  total: number;
}

export interface TrackedEvent {
  /** The caller's user id, or '' for anonymous callers. */
  scope: string;
  eventId: string;
  userId: string | undefined;
  name: string;
  properties: Record<string, string | number | boolean>;
  occurredAt: Date;
}

/** A domain event as counted: its id claims it, its increments land in the hour of `at`. */
export interface CountedEvent {
  eventId: string;
  topic: string;
  at: Date;
  increments: Increment[];
  productNames: ProductName[];
}

/** What a claimed key adds: increments in the hour of `at`, and the product names seen. */
interface ClaimedCounts {
  key: string;
  at: Date;
  increments: Increment[];
  productNames: ProductName[];
}

/** A claim: an INSERT … ON CONFLICT DO NOTHING RETURNING <key> AS key over parameters $1..$n. */
interface Claim {
  sql: string;
  params: unknown[];
}

/** Parameters of the segments a report reads, for `unnest(…) AS s(granularity, lo, hi)`. */
function planParams(from: Date, to: Date): [string[], string[], string[]] {
  const plan = readPlan(from, to);
  return [plan.map((s) => s.granularity), plan.map((s) => s.start.toISOString()), plan.map((s) => s.end.toISOString())];
}

const PLAN_JOIN = `unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS s(granularity, lo, hi)
  JOIN rollups r ON r.granularity = s.granularity AND r.bucket_start >= s.lo AND r.bucket_start < s.hi`;

export class RollupStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Adds the increments of every event whose id was not counted before, in one statement
   * for the whole batch; resolves, per event in order, whether it counted now. An id
   * twice in the batch counts once.
   */
  async countEvents(events: CountedEvent[]): Promise<boolean[]> {
    if (events.length === 0) return [];
    const claims = [...new Map(events.map((e) => [e.eventId, e.topic])).entries()];
    const fresh = await this.applyClaimed(
      {
        sql: `INSERT INTO processed_events (event_id, topic) SELECT * FROM unnest($1::text[], $2::text[])
              ON CONFLICT (event_id) DO NOTHING RETURNING event_id AS key`,
        params: [claims.map(([id]) => id), claims.map(([, topic]) => topic)],
      },
      events.map((e) => ({ key: e.eventId, at: e.at, increments: e.increments, productNames: e.productNames })),
    );
    // The first occurrence of an id in the batch is the one that counted.
    return events.map((e) => fresh.delete(e.eventId));
  }

  /** Records a tracked client event and adds its increments unless the caller sent its id before. */
  async track(event: TrackedEvent, increments: Increment[]): Promise<boolean> {
    const claim = {
      sql: `INSERT INTO tracked_events (scope, event_id, user_id, name, properties, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, event_id) DO NOTHING RETURNING event_id AS key`,
      params: [
        event.scope,
        event.eventId,
        event.userId ?? null,
        event.name,
        JSON.stringify(event.properties),
        event.occurredAt.toISOString(),
      ],
    };
    const fresh = await this.applyClaimed(claim, [{ key: event.eventId, at: event.occurredAt, increments, productNames: [] }]);
    return fresh.has(event.eventId);
  }

  /**
   * One statement: the claim, then the increments and names of what it claimed (matched
   * by key). Cells are summed per statement (an upsert may touch a row once) and written
   * in byte order, the order rollupRows sorts in, so that concurrent writers lock shared
   * cells in one order and never deadlock. Resolves with the keys claimed now.
   */
  private async applyClaimed(claim: Claim, counted: ClaimedCounts[]): Promise<Set<string>> {
    const rows = counted.flatMap((c) => rollupRows(c.at, c.increments).map((r) => ({ ...r, key: c.key })));
    const names = counted.flatMap((c) => distinctNames(c.productNames).map((n) => ({ ...n, key: c.key, at: c.at })));
    const n = claim.params.length;
    const p = (i: number) => `$${n + i}`;
    const { rows: claimed } = await this.pool.query<{ key: string }>(
      `WITH claimed AS (${claim.sql}),
       counted AS (
         INSERT INTO rollups AS r (metric, granularity, bucket_start, dimension, currency, value)
         SELECT i.metric, i.granularity, i.bucket_start, i.dimension, i.currency, sum(i.value)
           FROM unnest(${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::timestamptz[], ${p(5)}::text[], ${p(6)}::text[], ${p(7)}::bigint[])
                AS i(key, metric, granularity, bucket_start, dimension, currency, value)
          WHERE i.key IN (SELECT key FROM claimed)
          GROUP BY i.metric, i.granularity, i.bucket_start, i.dimension, i.currency
          ORDER BY i.metric COLLATE "C", i.granularity COLLATE "C", i.bucket_start, i.dimension COLLATE "C", i.currency COLLATE "C"
         ON CONFLICT (metric, granularity, bucket_start, dimension, currency) DO UPDATE SET value = r.value + EXCLUDED.value
       ),
       named AS (
         INSERT INTO product_names AS pn (product_id, name, seen_at)
         SELECT DISTINCT ON (i.product_id COLLATE "C") i.product_id, i.name, i.seen_at
           FROM unnest(${p(8)}::text[], ${p(9)}::text[], ${p(10)}::text[], ${p(11)}::timestamptz[]) AS i(key, product_id, name, seen_at)
          WHERE i.key IN (SELECT key FROM claimed)
          ORDER BY i.product_id COLLATE "C", i.seen_at DESC
         ON CONFLICT (product_id) DO UPDATE SET name = EXCLUDED.name, seen_at = EXCLUDED.seen_at
          WHERE pn.seen_at <= EXCLUDED.seen_at
       )
       SELECT key FROM claimed`,
      [
        ...claim.params,
        rows.map((r) => r.key),
        rows.map((r) => r.metric),
        rows.map((r) => r.granularity),
        rows.map((r) => r.bucketStart.toISOString()),
        rows.map((r) => r.dimension),
        rows.map((r) => r.currency),
        rows.map((r) => r.amount),
        names.map((x) => x.key),
        names.map((x) => x.productId),
        names.map((x) => x.name),
        names.map((x) => x.at.toISOString()),
      ],
    );
    return new Set(claimed.map((r) => r.key));
  }

  /** Sums of the given metrics over the hours overlapping [from, to), per dimension and currency. */
  async totals(from: Date, to: Date, wanted: readonly Metric[], dimension?: string): Promise<Cell[]> {
    const { rows } = await this.pool.query<{ metric: Metric; dimension: string; currency: string; total: string }>(
      `SELECT r.metric, r.dimension, r.currency, sum(r.value)::bigint AS total
         FROM ${PLAN_JOIN}
        WHERE r.metric = ANY($4::text[]) ${dimension === undefined ? '' : 'AND r.dimension = $5'}
        GROUP BY r.metric, r.dimension, r.currency`,
      [...planParams(from, to), wanted, ...(dimension === undefined ? [] : [dimension])],
    );
    return rows.map((r) => ({ ...r, total: Number(r.total) }));
  }

  /** Totals (dimension '') of the given metrics per bucket of granularity `g` in [start, end). */
  async series(g: Granularity, start: Date, end: Date, wanted: readonly Metric[]): Promise<SeriesCell[]> {
    const { rows } = await this.pool.query<{ bucket_start: Date; metric: Metric; currency: string; total: string }>(
      `SELECT bucket_start, metric, currency, sum(value)::bigint AS total
         FROM rollups
        WHERE granularity = $1 AND bucket_start >= $2 AND bucket_start < $3 AND metric = ANY($4::text[]) AND dimension = ''
        GROUP BY bucket_start, metric, currency`,
      [g, start.toISOString(), end.toISOString(), wanted],
    );
    return rows.map((r) => ({ start: r.bucket_start, metric: r.metric, currency: r.currency, total: Number(r.total) }));
  }

  async topLinks(from: Date, to: Date, limit: number): Promise<Array<{ code: string; clicks: number }>> {
    const { rows } = await this.pool.query<{ code: string; clicks: string }>(
      `SELECT r.dimension AS code, sum(r.value)::bigint AS clicks
         FROM ${PLAN_JOIN}
        WHERE r.metric = $4
        GROUP BY r.dimension
        ORDER BY clicks DESC, code
        LIMIT $5`,
      [...planParams(from, to), metrics.linkClicks, limit],
    );
    return rows.map((r) => ({ code: r.code, clicks: Number(r.clicks) }));
  }

  /** The products sold in the largest quantities, with their newest names and revenue per currency. */
  async topProducts(
    from: Date,
    to: Date,
    limit: number,
  ): Promise<Array<{ productId: string; name: string; quantity: number; revenue: Money[] }>> {
    const plan = planParams(from, to);
    const { rows: top } = await this.pool.query<{ product_id: string; name: string | null; quantity: string }>(
      `SELECT t.product_id, pn.name, t.quantity
         FROM (SELECT r.dimension AS product_id, sum(r.value)::bigint AS quantity
                 FROM ${PLAN_JOIN}
                WHERE r.metric = $4
                GROUP BY r.dimension
                ORDER BY quantity DESC, product_id
                LIMIT $5) t
         LEFT JOIN product_names pn ON pn.product_id = t.product_id
        ORDER BY t.quantity DESC, t.product_id`,
      [...plan, metrics.productQuantity, limit],
    );
    if (top.length === 0) return [];
    const { rows: revenue } = await this.pool.query<{ product_id: string; currency: string; minor: string }>(
      `SELECT r.dimension AS product_id, r.currency, sum(r.value)::bigint AS minor
         FROM ${PLAN_JOIN}
        WHERE r.metric = $4 AND r.dimension = ANY($5::text[])
        GROUP BY r.dimension, r.currency
        ORDER BY r.currency`,
      [...plan, metrics.productRevenue, top.map((t) => t.product_id)],
    );
    return top.map((t) => ({
      productId: t.product_id,
      // Quantities come only from order.paid, whose lines name the product; the id is a last resort.
      name: t.name ?? t.product_id,
      quantity: Number(t.quantity),
      revenue: revenue
        .filter((r) => r.product_id === t.product_id)
        .map((r) => ({ currency: r.currency, minor: Number(r.minor) })),
    }));
  }
}
