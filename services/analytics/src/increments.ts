/**
 * What each event adds to the rollups. Pure functions: an event in, a list of counter
 * increments and the product names it reveals out; rollup-store.ts writes them.
 *
 * Money: `revenue` is what order.paid events took (gross, in the hour of payment);
 * `refunded` is what order.cancelled events gave back (in the hour of cancellation).
 * A past hour's revenue never changes when a refund comes later, and net revenue is
 * revenue − refunded over the same range. payment.* events carry the same money again,
 * so they are counted per topic only, never added to revenue.
 */
import type { EventEnvelope } from '@meshmart/kit';
import { floorTo, type Granularity, granularities } from './buckets.ts';

export const metrics = {
  /** Every domain event, by topic (dimension). Topics without a metric of their own show up only here. */
  events: 'events',
  signups: 'signups',
  ordersCreated: 'orders.created',
  ordersPaid: 'orders.paid',
  ordersFailed: 'orders.failed',
  ordersCancelled: 'orders.cancelled',
  /** By currency. */
  revenue: 'revenue',
  /** By currency. */
  refunded: 'refunded',
  linksCreated: 'links.created',
  clicks: 'clicks',
  qrGenerated: 'qr.generated',
  trackedEvents: 'tracked',
  /** Tracked client events by name (dimension). */
  trackedByName: 'tracked.name',
  /** Clicks by link code (dimension). */
  linkClicks: 'link.clicks',
  /** Paid quantity by product id (dimension). */
  productQuantity: 'product.quantity',
  /** Paid line totals by product id (dimension) and currency. */
  productRevenue: 'product.revenue',
  /** Per user (dimension = user id). */
  userLinksCreated: 'user.links_created',
  userClicksOnLinks: 'user.clicks_on_links',
  userQrGenerated: 'user.qr_generated',
  userOrdersPaid: 'user.orders_paid',
  /** By user and currency. */
  userSpent: 'user.spent',
  userTracked: 'user.tracked',
} as const;

export type Metric = (typeof metrics)[keyof typeof metrics];

export interface Increment {
  metric: Metric;
  /** The entity counted (topic, link code, product id, user id); '' for totals. */
  dimension: string;
  /** ISO 4217 code for amounts of money; '' for counts. */
  currency: string;
  amount: number;
}

export interface ProductName {
  productId: string;
  name: string;
}

export interface EventRollup {
  /** When the event happened, by its own clock: the bucket it lands in. */
  at: Date;
  increments: Increment[];
  /** Names seen in the event; the newest by `at` wins. */
  productNames: ProductName[];
}

const count = (metric: Metric, dimension = ''): Increment => ({ metric, dimension, currency: '', amount: 1 });
const money = (metric: Metric, currency: string, amount: number, dimension = ''): Increment => ({
  metric,
  dimension,
  currency,
  amount,
});

/** Counts of an event that names no products, in the bucket of its own time. */
const counted = (at: string, ...increments: Increment[]): EventRollup => ({ at: new Date(at), increments, productNames: [] });

type Line = { productId: string; name: string; quantity: number; unitPriceMinor: number };

function productSales(lines: Line[], currency: string): Increment[] {
  return lines.flatMap((l) => [
    { metric: metrics.productQuantity, dimension: l.productId, currency: '', amount: l.quantity },
    money(metrics.productRevenue, currency, l.quantity * l.unitPriceMinor, l.productId),
  ]);
}

/** The increments of one domain event, always including its per-topic count. */
export function rollupOf(event: EventEnvelope): EventRollup {
  const topicCount = count(metrics.events, event.topic);
  const own = (): EventRollup => {
    switch (event.topic) {
      case 'user.registered': {
        const d = event.data as EventEnvelope<'user.registered'>['data'];
        return counted(d.registeredAt, count(metrics.signups));
      }
      case 'order.created': {
        const d = event.data as EventEnvelope<'order.created'>['data'];
        return counted(d.at, count(metrics.ordersCreated));
      }
      case 'order.paid': {
        const d = event.data as EventEnvelope<'order.paid'>['data'];
        return {
          at: new Date(d.at),
          increments: [
            count(metrics.ordersPaid),
            money(metrics.revenue, d.currency, d.totalMinor),
            count(metrics.userOrdersPaid, d.userId),
            money(metrics.userSpent, d.currency, d.totalMinor, d.userId),
            ...productSales(d.lines, d.currency),
          ],
          productNames: d.lines.map((l) => ({ productId: l.productId, name: l.name })),
        };
      }
      case 'order.failed': {
        const d = event.data as EventEnvelope<'order.failed'>['data'];
        return counted(d.at, count(metrics.ordersFailed));
      }
      case 'order.cancelled': {
        const d = event.data as EventEnvelope<'order.cancelled'>['data'];
        const refund = d.refundedMinor > 0 ? [money(metrics.refunded, d.currency, d.refundedMinor)] : [];
        return counted(d.at, count(metrics.ordersCancelled), ...refund);
      }
      case 'link.created': {
        const d = event.data as EventEnvelope<'link.created'>['data'];
        return counted(d.at, count(metrics.linksCreated), count(metrics.userLinksCreated, d.ownerId));
      }
      case 'link.clicked': {
        const d = event.data as EventEnvelope<'link.clicked'>['data'];
        return counted(
          d.at,
          count(metrics.clicks),
          count(metrics.linkClicks, d.code),
          count(metrics.userClicksOnLinks, d.ownerId),
        );
      }
      case 'qr.generated': {
        const d = event.data as EventEnvelope<'qr.generated'>['data'];
        return counted(d.at, count(metrics.qrGenerated), count(metrics.userQrGenerated, d.ownerId));
      }
      case 'product.created':
      case 'product.updated': {
        const d = event.data as EventEnvelope<'product.created'>['data'];
        return { at: new Date(d.at), increments: [], productNames: [{ productId: d.productId, name: d.name }] };
      }
      default: {
        // product.deleted, inventory.*, and payment.*: their topic count is the whole story.
        const d = event.data as { at?: string };
        return counted(d.at ?? event.occurredAt);
      }
    }
  };
  const rollup = own();
  return { ...rollup, increments: [topicCount, ...rollup.increments] };
}

/** The increments of one tracked client event. */
export function trackedRollup(name: string, userId: string | undefined): Increment[] {
  return [
    count(metrics.trackedEvents),
    count(metrics.trackedByName, name),
    ...(userId === undefined ? [] : [count(metrics.userTracked, userId)]),
  ];
}

/** One counter cell of the rollups table. */
export interface RollupRow {
  metric: Metric;
  granularity: Granularity;
  bucketStart: Date;
  dimension: string;
  currency: string;
  amount: number;
}

const rowKey = (r: Omit<RollupRow, 'amount'>) =>
  `${r.metric}\u0000${r.granularity}\u0000${r.bucketStart.toISOString()}\u0000${r.dimension}\u0000${r.currency}`;

/**
 * The rows to add, one per cell: increments to the same cell are summed (an upsert may
 * touch a row only once per statement), zero amounts are left out, and rows come sorted
 * by key so that concurrent writers lock shared cells in one order and never deadlock.
 */
export function rollupRows(at: Date, increments: Increment[]): RollupRow[] {
  const cells = new Map<string, RollupRow>();
  for (const granularity of granularities) {
    const bucketStart = floorTo(granularity, at);
    for (const inc of increments) {
      if (inc.amount === 0) continue;
      const row = { metric: inc.metric, granularity, bucketStart, dimension: inc.dimension, currency: inc.currency };
      const key = rowKey(row);
      const existing = cells.get(key);
      if (existing) existing.amount += inc.amount;
      else cells.set(key, { ...row, amount: inc.amount });
    }
  }
  return [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** Product names with one entry per product (the last line's name wins within an event). */
export function distinctNames(names: ProductName[]): ProductName[] {
  return [...new Map(names.map((n) => [n.productId, n])).values()].sort((a, b) =>
    a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
  );
}
