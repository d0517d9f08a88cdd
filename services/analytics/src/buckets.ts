/**
 * Time buckets of the rollups, all in UTC. Every event adds to one hour bucket and one
 * day bucket. A report over [from, to) counts the hours that overlap it, so its
 * precision is one hour: whole days inside that span are read from day buckets and only
 * the ragged ends from hour buckets, which keeps a year-long report to ~365 + 48 rows per
 * metric instead of ~8,800.
 */

export type Granularity = 'hour' | 'day';

export const granularities: readonly Granularity[] = ['hour', 'day'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const stepMs = (g: Granularity) => (g === 'hour' ? HOUR_MS : DAY_MS);

/** Start of the bucket holding `t`. Epoch milliseconds have no leap seconds, so both are plain arithmetic. */
export function floorTo(g: Granularity, t: Date): Date {
  const ms = t.getTime();
  return new Date(ms - (((ms % stepMs(g)) + stepMs(g)) % stepMs(g)));
}

/** Start of the first bucket at or after `t`. */
export function ceilTo(g: Granularity, t: Date): Date {
  const floor = floorTo(g, t);
  return floor.getTime() === t.getTime() ? floor : new Date(floor.getTime() + stepMs(g));
}

/** A half-open span [start, end) of buckets of one granularity. */
export interface Segment {
  granularity: Granularity;
  start: Date;
  end: Date;
}

/** The hours a report over [from, to) counts: every hour that overlaps it. */
export function coveredHours(from: Date, to: Date): { start: Date; end: Date } {
  return { start: floorTo('hour', from), end: ceilTo('hour', to) };
}

/**
 * The fewest buckets that add up exactly to the covered hours: whole days from day
 * buckets, the rest from hour buckets. Empty segments are left out.
 */
export function readPlan(from: Date, to: Date): Segment[] {
  const { start, end } = coveredHours(from, to);
  const dayStart = ceilTo('day', start);
  const dayEnd = floorTo('day', end);
  if (dayStart.getTime() >= dayEnd.getTime()) return [{ granularity: 'hour', start, end }];
  const plan: Segment[] = [
    { granularity: 'hour', start, end: dayStart },
    { granularity: 'day', start: dayStart, end: dayEnd },
    { granularity: 'hour', start: dayEnd, end },
  ];
  return plan.filter((s) => s.start.getTime() < s.end.getTime());
}

/** Starts of the buckets of granularity `g` that overlap [from, to), oldest first. */
export function bucketStarts(g: Granularity, from: Date, to: Date): Date[] {
  const starts: Date[] = [];
  for (let t = floorTo(g, from).getTime(); t < to.getTime(); t += stepMs(g)) starts.push(new Date(t));
  return starts;
}

/** How many buckets of granularity `g` overlap [from, to), without listing them. */
export function bucketCount(g: Granularity, from: Date, to: Date): number {
  return Math.max(0, Math.ceil((to.getTime() - floorTo(g, from).getTime()) / stepMs(g)));
}
