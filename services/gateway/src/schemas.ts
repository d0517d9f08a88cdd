/**
 * The shapes the gateway accepts and answers with. Request schemas are strict (unknown
 * fields are a 400 naming them) and are the same objects the handlers validate with and
 * the OpenAPI document is generated from, so the two cannot drift apart. Bounds follow
 * each callee's contract, so a request the gateway lets through is not refused upstream
 * for a reason the edge could have named.
 */
import { z } from 'zod';

const email = z.email().max(254);
const displayName = z.string().trim().min(1).max(80);
const refreshToken = z.string().min(16).max(200);

export const registerRequest = z.strictObject({
  email,
  password: z.string().min(8).max(128),
  displayName,
});

export const loginRequest = z.strictObject({ email, password: z.string().min(1).max(128) });

export const refreshRequest = z.strictObject({ refreshToken });

export const updateMeRequest = z.strictObject({ displayName });

export const addressRequest = z.strictObject({
  label: z.string().trim().max(40).optional(),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .describe('ISO 3166-1 alpha-2 country code, e.g. DE'),
});

export const addressIdParams = z.strictObject({ id: z.uuid() });

export const listUsersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

export const user = z.object({
  id: z.uuid(),
  email: z.email(),
  displayName: z.string(),
  roles: z.array(z.string()),
  createdAt: z.iso.datetime(),
});

export const tokenPair = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
  refreshToken: z.string(),
  user,
});

export const address = z.object({
  id: z.uuid(),
  label: z.string(),
  line1: z.string(),
  line2: z.string(),
  city: z.string(),
  postalCode: z.string(),
  country: z.string(),
});

export const jwks = z.object({
  keys: z.array(
    z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), crv: z.string(), x: z.string(), y: z.string() }),
  ),
});

export const addressList = z.object({ items: z.array(address) });

export const userPage = z.object({
  items: z.array(user),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/*
 * catalog. Ids and bounds follow catalog's own edge (services/catalog/src/schemas.ts).
 * Query strings are strict too: an operator in a key (`price[$gt]=1`) is an unknown
 * parameter and a repeated parameter is not a string, so neither reaches catalog.
 */
const productId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'not a product id');
const categoryId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes (at most 40)');
const minorAmount = z.number().int().min(0).max(1_000_000_000);
const stockCount = z.number().int().min(0).max(1_000_000);
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
const imageUrl = z
  .string()
  .max(2048)
  .url()
  .refine((v) => /^https?:$/.test(new URL(v).protocol), 'must be an http or https URL');
const attributes = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9 _-]{0,39}$/, 'attribute names are letters, digits, spaces, _ and -'),
    z.string().max(200),
  )
  .refine((a) => Object.keys(a).length <= 30, 'at most 30 attributes');
/** A query parameter holding a whole number, as the text it arrives as. */
const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .refine((v) => Number(v) <= max, `must be at most ${max}`);

const productFields = {
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(4000).optional(),
  category: categoryId,
  priceMinor: minorAmount.describe('price in minor units of the currency, e.g. cents'),
  currency,
  images: z.array(imageUrl).max(10).optional(),
  attributes: attributes.optional(),
};

/** Stock is inventory's: it is set with PUT /api/products/:id/stock once the product exists. */
export const productRequest = z.strictObject(productFields);

/** Replaces what describes a product; stock has its own route. */
export const productReplaceRequest = z.strictObject(productFields);

export const stockRequest = z.strictObject({ stock: stockCount, lowStockThreshold: stockCount.optional() });

export const movementsQuery = z.strictObject({
  limit: wholeNumber(500)
    .refine((v) => Number(v) >= 1, 'must be at least 1')
    .optional(),
});

export const stockLevel = z.object({
  productId: z.string(),
  available: z.number().int().describe('what can be reserved now'),
  held: z.number().int().describe('held by reservations not yet committed, released or expired'),
  lowStockThreshold: z.number().int(),
  revision: z.number().int().describe('grows with every change of this stock'),
});

export const stockMovements = z.object({
  items: z.array(
    z.object({
      kind: z.enum(['seed', 'create', 'adjust', 'reserve', 'release', 'expire', 'commit', 'return']),
      reservationId: z.string().nullable(),
      availableDelta: z.number().int(),
      heldDelta: z.number().int(),
      actor: z.string().nullable().describe('the admin who adjusted'),
      at: z.iso.datetime(),
    }),
  ),
});

export const categoryRequest = z.strictObject({ id: categoryId.optional(), name: z.string().trim().min(1).max(80) });

export const productIdParams = z.strictObject({ id: productId });

export const productListQuery = z.strictObject({
  category: categoryId.optional(),
  q: z.string().trim().min(1).max(100).optional().describe('case-insensitive text in name or description'),
  minPrice: wholeNumber(1_000_000_000).optional(),
  maxPrice: wholeNumber(1_000_000_000).optional(),
  inStock: z.enum(['true', 'false']).optional(),
  sort: z.enum(['name', '-name', 'price', '-price', 'created', '-created']).optional(),
  limit: wholeNumber(100)
    .refine((v) => Number(v) >= 1, 'must be at least 1')
    .optional(),
  offset: wholeNumber(10_000).optional(),
});

export const product = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  priceMinor: z.number().int(),
  currency: z.string(),
  images: z.array(z.string()),
  attributes: z.record(z.string(), z.string()),
  stock: z.number().int().describe('what inventory last reported as available; checkout decides with inventory itself'),
  inStock: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const productPage = z.object({
  items: z.array(product),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const category = z.object({ id: z.string(), name: z.string(), productCount: z.number().int() });

export const categoryList = z.object({ items: z.array(category) });

/*
 * orders. Prices never come from the client: an item with a price is an unknown field.
 */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const card = z
  .strictObject({
    number: z
      .string()
      .regex(/^\d{12,19}$/, 'must be 12 to 19 digits')
      .refine(luhnValid, 'is not a valid card number'),
    expMonth: z.number().int().min(1).max(12),
    expYear: z.number().int().min(2000).max(2199),
    cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
  })
  .superRefine((c, ctx) => {
    const now = new Date();
    if (c.expYear * 12 + c.expMonth < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1) {
      ctx.addIssue({ code: 'custom', path: ['expYear'], message: 'the card has expired' });
    }
  });

export const checkoutRequest = z.strictObject({
  items: z
    .array(z.strictObject({ productId, quantity: z.number().int().min(1).max(100) }))
    .min(1)
    .max(50)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.productId)) ctx.addIssue({ code: 'custom', path: [i, 'productId'], message: 'listed twice' });
        seen.add(item.productId);
      });
    }),
  shippingAddressId: z.uuid().describe('one of the signed-in user’s addresses'),
  card,
});

/** Not strict: every request carries other headers too. */
export const checkoutHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{8,128}$/, 'required: 8 to 128 printable characters')
    .describe('chosen by the client per checkout; a repeat returns the same order'),
});

export const orderIdParams = z.strictObject({ id: z.uuid() });

export const listOrdersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).optional(),
});

const orderStatus = z.enum(['pending', 'paid', 'failed', 'cancelled']);

export const order = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  status: orderStatus,
  reason: z.string().optional().describe('why the order failed or was cancelled'),
  items: z.array(z.object({ productId: z.string(), quantity: z.number().int() })).describe('what was asked for'),
  lines: z
    .array(z.object({ productId: z.string(), name: z.string(), quantity: z.number().int(), unitPriceMinor: z.number().int() }))
    .describe('what was reserved, at catalog’s prices; empty if stock could not be reserved'),
  totalMinor: z.number().int(),
  currency: z.string().nullable().describe('null until stock is reserved and priced'),
  shippingAddress: address,
  paymentId: z.string().optional(),
  refundedMinor: z.number().int(),
  timeline: z.array(z.object({ status: orderStatus, at: z.iso.datetime(), note: z.string() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const orderPage = z.object({
  items: z.array(order),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/* notifications */
export const listNotificationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  unread: z.enum(['true', 'false']).optional(),
});

export const notificationIdParams = z.strictObject({ id: z.uuid() });

export const notificationPage = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      kind: z.string(),
      title: z.string(),
      body: z.string(),
      read: z.boolean(),
      createdAt: z.iso.datetime(),
    }),
  ),
  total: z.number().int(),
});

/*
 * links. Bounds follow proto/meshmart/links/v1/links.proto; links checks them again.
 */

/** Generated codes and aliases alike; anything else cannot name a link. */
export const LINK_CODE = /^[A-Za-z0-9_-]{1,64}$/;

const targetUrl = z
  .string()
  .max(2048)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http or https URL');
const isoDateTime = z.iso.datetime({ offset: true });

export const shortenRequest = z.strictObject({
  url: targetUrl,
  alias: z
    .string()
    .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3 to 64 letters, digits, _ or -')
    .optional()
    .describe('the code to use instead of a generated one'),
  expiresAt: isoDateTime
    // A malformed value is named once, by the format check above.
    .refine((v) => !(Date.parse(v) <= Date.now()), 'must be in the future')
    .optional()
    .describe('RFC 3339; the link answers 410 Gone afterwards'),
});

export const linkCodeParams = z.strictObject({ code: z.string().regex(LINK_CODE, 'not a link code') });

export const listLinksQuery = z.strictObject({
  limit: wholeNumber(100)
    .refine((v) => Number(v) >= 1, 'must be at least 1')
    .optional(),
  pageToken: z
    .string()
    .regex(/^[A-Za-z0-9_=-]{1,200}$/, 'not a page token')
    .optional(),
});

export const linkStatsQuery = z.strictObject({
  from: isoDateTime.optional().describe('RFC 3339; default 7 days ago'),
  to: isoDateTime.optional().describe('RFC 3339; default now'),
  granularity: z.enum(['hour', 'day']).optional(),
});

export const link = z.object({
  code: z.string(),
  url: z.string(),
  shortUrl: z.string().describe('the address to hand out'),
  customAlias: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
  totalClicks: z.number().int(),
});

export const linkPage = z.object({
  items: z.array(link),
  nextPageToken: z.string().nullable().describe('null on the last page'),
});

const countedValue = z.object({ value: z.string(), clicks: z.number().int() });

export const linkStats = z.object({
  link,
  clicksInRange: z.number().int(),
  series: z.array(z.object({ start: z.iso.datetime({ offset: true }), clicks: z.number().int() })),
  referrers: z.array(countedValue).describe('top 10; "(direct)" for none'),
  userAgents: z.array(countedValue).describe('top 10; "(unknown)" for none'),
});

/*
 * qr. Bounds follow proto/meshmart/qr/v1/qr.proto.
 */
export const QR_BATCH_MAX = 500;

const qrOptionFields = {
  format: z.enum(['png', 'svg']).optional().describe('default png'),
  size: z.number().int().min(64).max(2048).optional().describe('pixels; default 256'),
  errorCorrection: z.enum(['L', 'M', 'Q', 'H']).optional().describe('default M'),
  margin: z.number().int().min(0).max(16).optional().describe('quiet zone in modules; default 4'),
  darkColor: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$/, 'must be #rrggbb or #rrggbbaa')
    .optional(),
  lightColor: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$/, 'must be #rrggbb or #rrggbbaa')
    .optional(),
};
/** qr counts characters as code points, as people do; a string has at most two units per point. */
const qrContent = z
  .string()
  .min(1)
  .max(4096)
  .refine((v) => [...v].length <= 2048, 'must be at most 2048 characters')
  .describe('text or URL to encode, at most 2048 characters');

export const qrOptions = z.strictObject(qrOptionFields);

export const qrRequest = z.strictObject({ content: qrContent, ...qrOptionFields });

export const qrBatchRequest = z.strictObject({
  items: z
    .array(qrRequest)
    .min(1)
    .max(QR_BATCH_MAX, `at most ${QR_BATCH_MAX} items`)
    .describe('each item may override the batch options'),
  options: qrOptions.optional(),
});

export const qrIdParams = z.strictObject({ id: z.uuid() });

/** Data of the batch stream's `progress` events, one per item in order. */
export const qrProgressEvent = z.object({
  index: z.number().int(),
  total: z.number().int(),
  ok: z.boolean(),
  id: z.uuid().optional().describe('when ok: GET /api/qr/{id} serves the image'),
  cached: z.boolean().optional(),
  error: z.string().optional().describe('when not ok: why this item failed'),
});

/** Data of the batch stream's last event, `summary`. */
export const qrSummaryEvent = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cached: z.number().int(),
  durationMs: z.number().int(),
});

/** Data of the click stream's `clicks` events. */
export const clickEvent = z.object({
  code: z.string(),
  totalClicks: z.number().int(),
  clicksLastMinute: z.number().int(),
  at: z.iso.datetime({ offset: true }),
});

/*
 * analytics. Bounds follow analytics' contract (docs/CONTRACTS.md); it checks them again,
 * and the time rules (occurredAt within the last day) are its own.
 */
const scalar = z.union([z.string().max(256), z.number(), z.boolean()]);

export const trackRequest = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'must be lower-case, start with a letter, at most 64 characters'),
  properties: z
    .record(z.string().min(1).max(64), scalar)
    .refine((p) => Object.keys(p).length <= 20, 'at most 20 properties')
    .optional(),
  occurredAt: isoDateTime.optional().describe('RFC 3339, within the last 24 hours; default now'),
  eventId: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 printable characters')
    .optional()
    .describe('chosen by the client; an event sent twice with one id counts once'),
});

export const tracked = z.object({ id: z.string() });

export const analyticsRangeQuery = z.strictObject({
  from: isoDateTime.optional().describe('RFC 3339; default 24 hours ago'),
  to: isoDateTime.optional().describe('RFC 3339; default now'),
});

export const dashboardQuery = z.strictObject({
  ...analyticsRangeQuery.shape,
  granularity: z.enum(['hour', 'day']).optional(),
});

export const userIdParams = z.strictObject({ userId: z.uuid() });

const money = z.array(z.object({ currency: z.string(), minor: z.number().int() }));

const summaryFields = {
  signups: z.number().int(),
  orders: z.object({
    created: z.number().int(),
    paid: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
  }),
  revenue: money,
  linksCreated: z.number().int(),
  clicks: z.number().int(),
  qrGenerated: z.number().int(),
  trackedEvents: z.number().int(),
};

export const analyticsSummary = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  ...summaryFields,
  generatedAt: z.iso.datetime({ offset: true }),
});

export const analyticsDashboard = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  granularity: z.enum(['hour', 'day']),
  totals: z.object(summaryFields),
  series: z.array(
    z.object({
      start: z.iso.datetime({ offset: true }),
      signups: z.number().int(),
      ordersPaid: z.number().int(),
      clicks: z.number().int(),
      qrGenerated: z.number().int(),
      revenue: money,
    }),
  ),
  topLinks: z.array(z.object({ code: z.string(), clicks: z.number().int() })),
  topProducts: z.array(z.object({ productId: z.string(), name: z.string(), quantity: z.number().int(), revenue: money })),
});

export const usageReport = z.object({
  userId: z.uuid(),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  linksCreated: z.number().int(),
  clicksOnLinks: z.number().int(),
  qrGenerated: z.number().int(),
  ordersPaid: z.number().int(),
  spent: money,
  trackedEvents: z.number().int(),
});

/** RFC 9457 problem details as every service renders them (kit `Problem`). */
export const problem = z.looseObject({
  type: z.url(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** Component names in the OpenAPI document. */
/* traces */
export const traceIdParams = z.strictObject({ traceId: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits') });

export const traceView = z.object({
  traceId: z.string(),
  jaegerUiUrl: z.string().nullable().describe("the trace in Jaeger's own UI, where one is deployed"),
  services: z.array(z.string()),
  durationMs: z.number(),
  spans: z
    .array(
      z.object({
        id: z.string(),
        parentId: z.string().nullable(),
        service: z.string().describe('service.name: the app, or its Dapr sidecar under the same app id'),
        name: z.string(),
        layer: z.enum(['app', 'http', 'daprd', 'grpc', 'pubsub', 'db']),
        kind: z.string().describe('server, client, producer, consumer or internal'),
        startMs: z.number().describe("from the trace's first span"),
        durationMs: z.number(),
        error: z.string().nullable(),
        detail: z.string().describe('statement, topic, route or target'),
      }),
    )
    .describe('depth first: each span under its parent, siblings by start'),
});

export const namedRequestSchemas = {
  RegisterRequest: registerRequest,
  LoginRequest: loginRequest,
  RefreshRequest: refreshRequest,
  UpdateMeRequest: updateMeRequest,
  AddressRequest: addressRequest,
  ProductRequest: productRequest,
  ProductReplaceRequest: productReplaceRequest,
  StockRequest: stockRequest,
  CategoryRequest: categoryRequest,
  CheckoutRequest: checkoutRequest,
  ShortenRequest: shortenRequest,
  QrRequest: qrRequest,
  QrBatchRequest: qrBatchRequest,
  TrackRequest: trackRequest,
};

export const namedResponseSchemas = {
  User: user,
  TokenPair: tokenPair,
  Address: address,
  AddressList: addressList,
  UserPage: userPage,
  Product: product,
  StockLevel: stockLevel,
  StockMovements: stockMovements,
  ProductPage: productPage,
  Category: category,
  CategoryList: categoryList,
  Order: order,
  OrderPage: orderPage,
  NotificationPage: notificationPage,
  Link: link,
  LinkPage: linkPage,
  LinkStats: linkStats,
  AnalyticsSummary: analyticsSummary,
  AnalyticsDashboard: analyticsDashboard,
  UsageReport: usageReport,
  TraceView: traceView,
  Problem: problem,
};
