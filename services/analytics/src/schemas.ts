/**
 * analytics' rules on what it accepts that depend on "now": how long a range may be,
 * how many points a series may have, how old a tracked event may be. The shapes are in
 * its contract (`@meshmart/contracts/analytics`).
 */
import type { RangeQuery } from '@meshmart/contracts/analytics';
import { type FieldError, problems } from '@meshmart/kit';
import { bucketCount, type Granularity } from './buckets.ts';

const HOUR_MS = 3_600_000;
export const DEFAULT_RANGE_MS = 24 * HOUR_MS;
export const MAX_RANGE_DAYS = 366;
/** Points in one dashboard series: hourly for up to ~41 days, daily beyond. */
export const MAX_BUCKETS = 1000;
/** How old a tracked event may be, and how far ahead of our clock a client's may be. */
export const TRACK_MAX_AGE_MS = 24 * HOUR_MS;
export const TRACK_MAX_SKEW_MS = 5 * 60_000;

export interface Range {
  from: Date;
  to: Date;
}

/** The range a report covers: the last 24 hours unless told otherwise. */
export function resolveRange(query: RangeQuery, now: Date): Range {
  const to = query.to === undefined ? now : new Date(query.to);
  const from = query.from === undefined ? new Date(to.getTime() - DEFAULT_RANGE_MS) : new Date(query.from);
  const errors: FieldError[] = [];
  if (from.getTime() >= to.getTime()) errors.push({ field: 'to', message: 'must be later than from' });
  else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 24 * HOUR_MS) {
    errors.push({ field: 'from', message: `the range may span at most ${MAX_RANGE_DAYS} days` });
  }
  if (errors.length) throw problems.validation(errors);
  return { from, to };
}

/** The dashboard's granularity: as asked, or hourly when that fits in a series and daily otherwise. */
export function resolveGranularity(asked: Granularity | undefined, range: Range): Granularity {
  const g = asked ?? (bucketCount('hour', range.from, range.to) <= MAX_BUCKETS ? 'hour' : 'day');
  if (bucketCount(g, range.from, range.to) > MAX_BUCKETS) {
    throw problems.validation([
      { field: 'granularity', message: `a series may have at most ${MAX_BUCKETS} ${g} buckets; use a coarser granularity` },
    ]);
  }
  return g;
}

/** When a tracked event happened: now unless the client says, within the last day and not in the future. */
export function trackedAt(occurredAt: string | undefined, now: Date): Date {
  if (occurredAt === undefined) return now;
  const at = new Date(occurredAt);
  if (at.getTime() < now.getTime() - TRACK_MAX_AGE_MS) {
    throw problems.validation([{ field: 'occurredAt', message: 'must be within the last 24 hours' }]);
  }
  if (at.getTime() > now.getTime() + TRACK_MAX_SKEW_MS) {
    throw problems.validation([{ field: 'occurredAt', message: 'must not be in the future' }]);
  }
  return at;
}
