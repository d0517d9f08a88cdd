/**
 * The rollups in PostgreSQL: counting an event once, and the sums reports read.
 *
 * Counting is one statement, so one implicit transaction and one round trip: it claims
 * the event's id and, only if the claim is new, adds the event's increments and names.
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

/** A claim: an INSERT … ON CONFLICT DO NOTHING RETURNING 1 over parameters $1..$n. */
interface Claim {
  /** Names the whole statement, so that each connection parses it once (it runs per event). */
  name: string;
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

  /** Adds a domain event's increments unless its id was counted before; resolves whether it counted now. */
  countEvent(eventId: string, topic: string, at: Date, increments: Increment[], productNames: ProductName[]): Promise<boolean> {
    const claim = {
      name: 'analytics.count-event',
      sql: 'INSERT INTO processed_events (event_id, topic) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING RETURNING 1',
      params: [eventId, topic],
    };
    return this.applyOnce(claim, at, increments, productNames);
  }

  /** Records a tracked client event and adds its increments unless the caller sent its id before. */
  track(event: TrackedEvent, increments: Increment[]): Promise<boolean> {
    const claim = {
      name: 'analytics.track',
      sql: `INSERT INTO tracked_events (scope, event_id, user_id, name, properties, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, event_id) DO NOTHING RETURNING 1`,
      params: [
        event.scope,
        event.eventId,
        event.userId ?? null,
        event.name,
        JSON.stringify(event.properties),
        event.occurredAt.toISOString(),
      ],
    };
    return this.applyOnce(claim, event.occurredAt, increments, []);
  }

  private async applyOnce(claim: Claim, at: Date, increments: Increment[], names: ProductName[]): Promise<boolean> {
    const rows = rollupRows(at, increments);
    const productNames = distinctNames(names);
    const n = claim.params.length;
    const p = (i: number) => `$${n + i}`;
    const { rows: result } = await this.pool.query<{ fresh: number }>({
      name: claim.name,
      text: `WITH claimed AS (${claim.sql}),
       counted AS (
         INSERT INTO rollups AS r (metric, granularity, bucket_start, dimension, currency, value)
         SELECT i.metric, i.granularity, i.bucket_start, i.dimension, i.currency, i.value
           FROM unnest(${p(1)}::text[], ${p(2)}::text[], ${p(3)}::timestamptz[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::bigint[])
                WITH ORDINALITY AS i(metric, granularity, bucket_start, dimension, currency, value, position)
          WHERE EXISTS (SELECT 1 FROM claimed)
          ORDER BY i.position
         ON CONFLICT (metric, granularity, bucket_start, dimension, currency) DO UPDATE SET value = r.value + EXCLUDED.value
       ),
       named AS (
         INSERT INTO product_names AS pn (product_id, name, seen_at)
         SELECT i.product_id, i.name, ${p(9)}::timestamptz
           FROM unnest(${p(7)}::text[], ${p(8)}::text[]) AS i(product_id, name)
          WHERE EXISTS (SELECT 1 FROM claimed)
         ON CONFLICT (product_id) DO UPDATE SET name = EXCLUDED.name, seen_at = EXCLUDED.seen_at
          WHERE pn.seen_at <= EXCLUDED.seen_at
       )
       SELECT count(*)::int AS fresh FROM claimed`,
      values: [
        ...claim.params,
        rows.map((r) => r.metric),
        rows.map((r) => r.granularity),
        rows.map((r) => r.bucketStart.toISOString()),
        rows.map((r) => r.dimension),
        rows.map((r) => r.currency),
        rows.map((r) => r.amount),
        productNames.map((x) => x.productId),
        productNames.map((x) => x.name),
        at.toISOString(),
      ],
    });
    return (result[0]?.fresh ?? 0) > 0;
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
