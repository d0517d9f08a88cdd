/**
 * The REST face of links, served by the gateway over links' gRPC API. Bounds follow
 * proto/meshmart/links/v1/links.proto; links checks them again.
 */
import { z } from 'zod';
import { rfc3339, wholeNumber } from './common.ts';

/** Generated codes and aliases alike; anything else cannot name a link. */
export const LINK_CODE = /^[A-Za-z0-9_-]{1,64}$/;

export const linkCode = z.string().regex(LINK_CODE, 'not a link code');

const targetUrl = z
  .string()
  .max(2048)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http or https URL');

/** POST /api/links */
export const shortenRequest = z.strictObject({
  url: targetUrl,
  alias: z
    .string()
    .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3 to 64 letters, digits, _ or -')
    .optional()
    .describe('the code to use instead of a generated one'),
  expiresAt: rfc3339
    // A malformed value is named once, by the format check above.
    .refine((v) => !(Date.parse(v) <= Date.now()), 'must be in the future')
    .optional()
    .describe('RFC 3339; the link answers 410 Gone afterwards'),
});
export type ShortenRequest = z.infer<typeof shortenRequest>;

/** GET /api/links */
export const listLinksQuery = z.strictObject({
  limit: wholeNumber(1, 100).optional(),
  pageToken: z
    .string()
    .regex(/^[A-Za-z0-9_=-]{1,200}$/, 'not a page token')
    .optional(),
});

/** GET /api/links/:code/stats */
export const linkStatsQuery = z.strictObject({
  from: rfc3339.optional().describe('RFC 3339; default 7 days ago'),
  to: rfc3339.optional().describe('RFC 3339; default now'),
  granularity: z.enum(['hour', 'day']).optional(),
});

export const link = z.object({
  code: z.string(),
  url: z.string(),
  shortUrl: z.string().describe('the address to hand out'),
  customAlias: z.boolean(),
  createdAt: rfc3339,
  expiresAt: rfc3339.nullable(),
  totalClicks: z.number().int(),
});
export type Link = z.infer<typeof link>;

export const linkPage = z.object({
  items: z.array(link),
  nextPageToken: z.string().nullable().describe('null on the last page'),
});
export type LinkPage = z.infer<typeof linkPage>;

const countedValue = z.object({ value: z.string(), clicks: z.number().int() });

export const linkStats = z.object({
  link,
  clicksInRange: z.number().int(),
  series: z.array(z.object({ start: rfc3339, clicks: z.number().int() })),
  referrers: z.array(countedValue).describe('top 10; "(direct)" for none'),
  userAgents: z.array(countedValue).describe('top 10; "(unknown)" for none'),
});
export type LinkStats = z.infer<typeof linkStats>;

/** Data of the click stream's `clicks` events. */
export const clickEvent = z.object({
  code: z.string(),
  totalClicks: z.number().int(),
  clicksLastMinute: z.number().int(),
  at: rfc3339,
});
export type ClickEvent = z.infer<typeof clickEvent>;

/**
 * Codes of links' answers. Over gRPC they travel in the `meshmart-error-code` trailer
 * next to the status; over REST in the problem's `code`.
 */
export const linksErrors = {
  /** 410 (gRPC FAILED_PRECONDITION): the link's expiry has passed. */
  linkExpired: 'link_expired',
  /** 410 (gRPC FAILED_PRECONDITION): its owner deleted the link; the code is never reused. */
  linkDeleted: 'link_deleted',
} as const;
