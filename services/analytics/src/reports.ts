/**
 * The report shapes of docs/CONTRACTS.md "analytics", assembled from rollup sums. Totals
 * count every hour that overlaps the range (see buckets.ts); a dashboard series has one
 * point per bucket of its granularity, empty buckets included.
 */
import { bucketStarts, ceilTo, coveredHours, floorTo, type Granularity } from './buckets.ts';
import { type Metric, metrics } from './increments.ts';
import type { ReportCache } from './report-cache.ts';
import type { Cell, Money, RollupStore, SeriesCell } from './rollup-store.ts';
import type { Range } from './schemas.ts';

export interface Totals {
  signups: number;
  orders: { created: number; paid: number; failed: number; cancelled: number };
  /** Gross: what paid orders took, in the hour they were paid. */
  revenue: Money[];
  /** What cancelled orders gave back, in the hour they were cancelled; net revenue = revenue − refunded. */
  refunded: Money[];
  linksCreated: number;
  clicks: number;
  qrGenerated: number;
  trackedEvents: number;
}

export interface Summary extends Totals {
  from: string;
  to: string;
  generatedAt: string;
}

export interface SeriesPoint {
  start: string;
  signups: number;
  ordersPaid: number;
  clicks: number;
  qrGenerated: number;
  revenue: Money[];
}

export interface Dashboard {
  from: string;
  to: string;
  granularity: Granularity;
  totals: Totals;
  series: SeriesPoint[];
  topLinks: Array<{ code: string; clicks: number }>;
  topProducts: Array<{ productId: string; name: string; quantity: number; revenue: Money[] }>;
  /** Every domain event counted in the range, by topic. */
  events: Array<{ topic: string; count: number }>;
  generatedAt: string;
}

export interface Usage {
  userId: string;
  from: string;
  to: string;
  linksCreated: number;
  clicksOnLinks: number;
  qrGenerated: number;
  ordersPaid: number;
  spent: Money[];
  trackedEvents: number;
}

const totalMetrics: readonly Metric[] = [
  metrics.signups,
  metrics.ordersCreated,
  metrics.ordersPaid,
  metrics.ordersFailed,
  metrics.ordersCancelled,
  metrics.revenue,
  metrics.refunded,
  metrics.linksCreated,
  metrics.clicks,
  metrics.qrGenerated,
  metrics.trackedEvents,
  metrics.events,
];

const seriesMetrics: readonly Metric[] = [
  metrics.signups,
  metrics.ordersPaid,
  metrics.clicks,
  metrics.qrGenerated,
  metrics.revenue,
];

const usageMetrics: readonly Metric[] = [
  metrics.userLinksCreated,
  metrics.userClicksOnLinks,
  metrics.userQrGenerated,
  metrics.userOrdersPaid,
  metrics.userSpent,
  metrics.userTracked,
];

const sum = (cells: Cell[], metric: Metric) => cells.filter((c) => c.metric === metric).reduce((n, c) => n + c.total, 0);

function moneyOf(cells: Array<{ metric: Metric; currency: string; total: number }>, metric: Metric): Money[] {
  const byCurrency = new Map<string, number>();
  for (const c of cells) if (c.metric === metric) byCurrency.set(c.currency, (byCurrency.get(c.currency) ?? 0) + c.total);
  return [...byCurrency.entries()]
    .filter(([, minor]) => minor !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, minor]) => ({ currency, minor }));
}

function totalsOf(cells: Cell[]): Totals {
  return {
    signups: sum(cells, metrics.signups),
    orders: {
      created: sum(cells, metrics.ordersCreated),
      paid: sum(cells, metrics.ordersPaid),
      failed: sum(cells, metrics.ordersFailed),
      cancelled: sum(cells, metrics.ordersCancelled),
    },
    revenue: moneyOf(cells, metrics.revenue),
    refunded: moneyOf(cells, metrics.refunded),
    linksCreated: sum(cells, metrics.linksCreated),
    clicks: sum(cells, metrics.clicks),
    qrGenerated: sum(cells, metrics.qrGenerated),
    trackedEvents: sum(cells, metrics.trackedEvents),
  };
}

/**
 * Cache keys name what the answer depends on: the hours covered (and for a dashboard its
 * series buckets), not the exact instants asked for, so "the last 24 hours" asked twice a
 * second apart shares one entry.
 */
function coverageKey(range: Range): string {
  const { start, end } = coveredHours(range.from, range.to);
  return `${start.toISOString()}/${end.toISOString()}`;
}

export class Reports {
  constructor(
    private readonly store: RollupStore,
    private readonly cache: ReportCache,
    private readonly topLimit: number,
  ) {}

  async summary(range: Range): Promise<Summary> {
    const computed = await this.cache.get(`summary|${coverageKey(range)}`, async () => ({
      totals: totalsOf(await this.store.totals(range.from, range.to, totalMetrics)),
      generatedAt: new Date().toISOString(),
    }));
    return { from: range.from.toISOString(), to: range.to.toISOString(), ...computed.totals, generatedAt: computed.generatedAt };
  }

  async dashboard(range: Range, granularity: Granularity): Promise<Dashboard> {
    const seriesStart = floorTo(granularity, range.from);
    const key = `dashboard|${granularity}|${coverageKey(range)}|${this.topLimit}`;
    const computed = await this.cache.get(key, async () => {
      const [cells, seriesCells, topLinks, topProducts] = await Promise.all([
        this.store.totals(range.from, range.to, totalMetrics),
        this.store.series(granularity, seriesStart, ceilTo(granularity, range.to), seriesMetrics),
        this.store.topLinks(range.from, range.to, this.topLimit),
        this.store.topProducts(range.from, range.to, this.topLimit),
      ]);
      const byStart = new Map<number, SeriesCell[]>();
      for (const c of seriesCells) {
        const cells = byStart.get(c.start.getTime());
        if (cells) cells.push(c);
        else byStart.set(c.start.getTime(), [c]);
      }
      const series = bucketStarts(granularity, range.from, range.to).map((start): SeriesPoint => {
        const here = byStart.get(start.getTime()) ?? [];
        const count = (m: Metric) => here.filter((c) => c.metric === m).reduce((n, c) => n + c.total, 0);
        return {
          start: start.toISOString(),
          signups: count(metrics.signups),
          ordersPaid: count(metrics.ordersPaid),
          clicks: count(metrics.clicks),
          qrGenerated: count(metrics.qrGenerated),
          revenue: moneyOf(here, metrics.revenue),
        };
      });
      const events = cells
        .filter((c) => c.metric === metrics.events)
        .map((c) => ({ topic: c.dimension, count: c.total }))
        .sort((a, b) => (a.topic < b.topic ? -1 : 1));
      return { totals: totalsOf(cells), series, topLinks, topProducts, events, generatedAt: new Date().toISOString() };
    });
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      granularity,
      totals: computed.totals,
      series: computed.series,
      topLinks: computed.topLinks,
      topProducts: computed.topProducts,
      events: computed.events,
      generatedAt: computed.generatedAt,
    };
  }

  /** One user's report; not cached: it reads only that user's rows. */
  async usage(userId: string, range: Range): Promise<Usage> {
    const cells = await this.store.totals(range.from, range.to, usageMetrics, userId);
    return {
      userId,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      linksCreated: sum(cells, metrics.userLinksCreated),
      clicksOnLinks: sum(cells, metrics.userClicksOnLinks),
      qrGenerated: sum(cells, metrics.userQrGenerated),
      ordersPaid: sum(cells, metrics.userOrdersPaid),
      spent: moneyOf(cells, metrics.userSpent),
      trackedEvents: sum(cells, metrics.userTracked),
    };
  }
}
