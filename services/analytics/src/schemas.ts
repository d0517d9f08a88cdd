/**
 * What analytics accepts (docs/CONTRACTS.md "analytics"). Strict: unknown fields and
 * query parameters are refused. Time rules that depend on "now" are functions taking it.
 */
import { type FieldError, problems } from '@meshmart/kit';
import { z } from 'zod';
import { bucketCount, type Granularity } from './buckets.ts';

/** RFC 3339: a date, a time and a zone (`Z` or an offset). */
const rfc3339 = z.iso.datetime({ offset: true });

const HOUR_MS = 3_600_000;
export const DEFAULT_RANGE_MS = 24 * HOUR_MS;
export const MAX_RANGE_DAYS = 366;
/** Points in one dashboard series: hourly for up to ~41 days, daily beyond. */
export const MAX_BUCKETS = 1000;
/** How old a tracked event may be, and how far ahead of our clock a client's may be. */
export const TRACK_MAX_AGE_MS = 24 * HOUR_MS;
export const TRACK_MAX_SKEW_MS = 5 * 60_000;

export const rangeQuery = z.strictObject({ from: rfc3339.optional(), to: rfc3339.optional() });

export const dashboardQuery = rangeQuery.extend({ granularity: z.enum(['hour', 'day']).optional() });

export interface Range {
  from: Date;
  to: Date;
}

/** The range a report covers: the last 24 hours unless told otherwise. */
export function resolveRange(query: z.infer<typeof rangeQuery>, now: Date): Range {
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

export const usageParams = z.strictObject({ userId: z.string().regex(/^[\w.:@-]{1,128}$/, 'not a user id') });

const propertyValue = z.union([z.string().max(256), z.number(), z.boolean()]);

export const trackBody = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'must be lower case, start with a letter and be at most 64 characters'),
  properties: z
    .record(z.string().regex(/^[A-Za-z_][\w.:-]{0,63}$/, 'not a property name'), propertyValue)
    .refine((p) => Object.keys(p).length <= 20, 'at most 20 properties')
    .optional(),
  occurredAt: rfc3339.optional(),
  /** Lets a client retry a send without counting the event twice. */
  eventId: z
    .string()
    .regex(/^[\w.:-]{1,128}$/, 'must be 1-128 letters, digits or _.:-')
    .optional(),
});

export type TrackBody = z.infer<typeof trackBody>;

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
