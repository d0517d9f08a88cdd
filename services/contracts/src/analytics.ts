/**
 * analytics' REST API: tracked client events and reports (docs/CONTRACTS.md "analytics").
 * Rules that depend on "now" (a range's length, how old a tracked event may be) are
 * analytics' own and checked there.
 */
import { z } from 'zod';
import { rfc3339 } from './common.ts';

const granularity = z.enum(['hour', 'day']);
export type Granularity = z.infer<typeof granularity>;

const propertyValue = z.union([z.string().max(256), z.number(), z.boolean()]);

/** POST /analytics/track */
export const trackRequest = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'must be lower case, start with a letter and be at most 64 characters'),
  properties: z
    .record(z.string().regex(/^[A-Za-z_][\w.:-]{0,63}$/, 'not a property name'), propertyValue)
    .refine((p) => Object.keys(p).length <= 20, 'at most 20 properties')
    .optional(),
  occurredAt: rfc3339.optional().describe('RFC 3339, within the last 24 hours; default now'),
  eventId: z
    .string()
    .regex(/^[\w.:-]{1,128}$/, 'must be 1-128 letters, digits or _.:-')
    .optional()
    .describe('chosen by the client; an event sent twice with one id counts once'),
});
export type TrackRequest = z.infer<typeof trackRequest>;

/** GET /analytics/summary and /analytics/users/:userId/usage */
export const rangeQuery = z.strictObject({
  from: rfc3339.optional().describe('RFC 3339; default 24 hours before `to`'),
  to: rfc3339.optional().describe('RFC 3339; default now'),
});
export type RangeQuery = z.infer<typeof rangeQuery>;

/** GET /analytics/dashboard */
export const dashboardQuery = rangeQuery.extend({
  granularity: granularity.optional().describe('default hour while a series has at most 1000 points'),
});

/** Whom a usage report is about; the gateway names the signed-in user or, for admins, any user id. */
export const usageParams = z.strictObject({ userId: z.string().regex(/^[\w.:@-]{1,128}$/, 'not a user id') });

export const tracked = z.object({ id: z.string() });

const count = z.number().int();
const money = z.array(z.object({ currency: z.string(), minor: count }));

const summaryFields = {
  signups: count,
  orders: z.object({ created: count, paid: count, failed: count, cancelled: count }),
  revenue: money,
  linksCreated: count,
  clicks: count,
  qrGenerated: count,
  trackedEvents: count,
};

export const analyticsSummary = z.object({
  from: rfc3339,
  to: rfc3339,
  ...summaryFields,
  generatedAt: rfc3339,
});
export type AnalyticsSummary = z.infer<typeof analyticsSummary>;

export const analyticsDashboard = z.object({
  from: rfc3339,
  to: rfc3339,
  granularity,
  totals: z.object(summaryFields),
  series: z.array(
    z.object({ start: rfc3339, signups: count, ordersPaid: count, clicks: count, qrGenerated: count, revenue: money }),
  ),
  topLinks: z.array(z.object({ code: z.string(), clicks: count })),
  topProducts: z.array(z.object({ productId: z.string(), name: z.string(), quantity: count, revenue: money })),
});
export type AnalyticsDashboard = z.infer<typeof analyticsDashboard>;

export const usageReport = z.object({
  userId: z.string(),
  from: rfc3339,
  to: rfc3339,
  linksCreated: count,
  clicksOnLinks: count,
  qrGenerated: count,
  ordersPaid: count,
  spent: money,
  trackedEvents: count,
});
export type UsageReport = z.infer<typeof usageReport>;
