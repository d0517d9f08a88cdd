/**
 * The one table of gateway routes. The router is mounted from it and the OpenAPI
 * document is generated from it, so a route cannot exist without being described.
 */
import type { ServiceName } from '@meshmart/kit/topology';
import { z } from 'zod';
import { recommendationList, recommendationQuery } from './recommendation-schemas.ts';
import {
  address,
  addressIdParams,
  addressList,
  addressRequest,
  analyticsDashboard,
  analyticsRangeQuery,
  analyticsSummary,
  category,
  categoryList,
  categoryRequest,
  checkoutHeaders,
  checkoutRequest,
  clickEvent,
  dashboardQuery,
  jwks,
  link,
  linkCodeParams,
  linkPage,
  linkStats,
  linkStatsQuery,
  listLinksQuery,
  listNotificationsQuery,
  listOrdersQuery,
  listUsersQuery,
  loginRequest,
  movementsQuery,
  notificationIdParams,
  notificationPage,
  order,
  orderIdParams,
  orderPage,
  product,
  productIdParams,
  productListQuery,
  productPage,
  productReplaceRequest,
  productRequest,
  qrBatchRequest,
  qrIdParams,
  qrProgressEvent,
  qrRequest,
  qrSummaryEvent,
  refreshRequest,
  registerRequest,
  shortenRequest,
  stockLevel,
  stockMovements,
  stockRequest,
  tokenPair,
  traceIdParams,
  traceView,
  tracked,
  trackRequest,
  updateMeRequest,
  usageReport,
  user,
  userIdParams,
  userPage,
} from './schemas.ts';
import { rebuildProgress, searchQuery, searchResult, suggestions, suggestQuery } from './search-schemas.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route: anyone, any signed-in user, or users with the admin role.
 * `optional`: anyone, but a bearer token that is sent must be valid, and names the caller.
 */
export type Access = 'public' | 'optional' | 'user' | 'admin';

/** Rate-limit budget a route draws from; see rate-limit.ts. */
export type LimitGroup = 'auth' | 'api' | 'redirect';

export interface SuccessResponse {
  status: number;
  description: string;
  schema?: z.ZodType;
  /**
   * Defaults to application/json when a schema is given. For `text/event-stream` the
   * schema is that of each event's data.
   */
  contentType?: string | readonly string[];
  /** Response headers worth documenting, by lower-case name. */
  headers?: Record<string, string>;
  /** Other success statuses with the same body, e.g. 200 for an idempotent repeat. */
  alternatives?: Array<{ status: number; description: string }>;
}

/** What answers a route: a service's endpoint through the sidecar, or the gateway itself. */
export type RouteTarget =
  /**
   * `path` is the callee's path; `:name` segments are filled from the validated params,
   * `:callerId` from the signed-in user.
   */
  | { kind: 'service'; app: ServiceName; path: string }
  /** Answered by the gateway over gRPC to links (links.ts) or qr (qr.ts). */
  | { kind: 'links'; operation: LinksOperation }
  | { kind: 'qr'; operation: QrOperation }
  /** Answered by the gateway over gRPC to recommendations (recommendations.ts). */
  | { kind: 'recommendations'; operation: RecommendationsOperation }
  | { kind: 'openapi' }
  /** Read from the Jaeger query API by the gateway (traces.ts). */
  | { kind: 'traces' }
  /** Probes and metrics come from the kit's app factory; listed here to be documented. */
  | { kind: 'kit' };

export type LinksOperation = 'shorten' | 'list' | 'delete' | 'stats' | 'statsStream' | 'redirect';
export type QrOperation = 'generate' | 'get' | 'batch';
export type RecommendationsOperation = 'forProduct' | 'forMe';

export interface GatewayRoute {
  method: HttpMethod;
  /** Koa path pattern, e.g. `/api/users/me/addresses/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /** Unset for the kit's probes, which are never rate limited. */
  limit?: LimitGroup;
  body?: z.ZodType;
  params?: z.ZodObject;
  /** A malformed path parameter cannot name anything: answer 404 rather than 400. */
  notFoundOnBadParams?: true;
  query?: z.ZodObject;
  /**
   * Request headers the route takes (lower-case names): validated, documented and
   * passed to the callee on top of the kit's forwarded headers.
   */
  headers?: z.ZodObject;
  /**
   * `saga`: the callee answers once a multi-service saga has ended, so the call gets
   * SAGA_TIMEOUT_MS instead of UPSTREAM_TIMEOUT_MS.
   */
  timeout?: 'saga';
  /** `batch`: the body may be up to BATCH_BODY_LIMIT instead of BODY_LIMIT (static paths only). */
  bodyLimit?: 'batch';
  success: SuccessResponse;
  /** Problem statuses this route answers beyond those implied by body, access and limits. */
  errors: number[];
  target: RouteTarget;
}

const service =
  (app: ServiceName) =>
  (path: string): RouteTarget => ({ kind: 'service', app, path });
const users = service('users');
const catalog = service('catalog');
const inventory = service('inventory');
const orders = service('orders');
const notifications = service('notifications');
const analytics = service('analytics');
const search = service('search');
const links = (operation: LinksOperation): RouteTarget => ({ kind: 'links', operation });
const qr = (operation: QrOperation): RouteTarget => ({ kind: 'qr', operation });
const recommendations = (operation: RecommendationsOperation): RouteTarget => ({ kind: 'recommendations', operation });

const authTag = 'auth';
const profileTag = 'profile';
const adminTag = 'admin';
const catalogTag = 'catalog';
const inventoryTag = 'inventory';
const ordersTag = 'orders';
const notificationsTag = 'notifications';
const linksTag = 'links';
const qrTag = 'qr';
const analyticsTag = 'analytics';
const searchTag = 'search';
const recommendationsTag = 'recommendations';
const qrImageTypes = ['image/png', 'image/svg+xml'];

export const routes: readonly GatewayRoute[] = [
  {
    method: 'POST',
    path: '/api/auth/register',
    summary: 'Create an account',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: registerRequest,
    success: { status: 201, description: 'The new account', schema: user },
    errors: [409],
    target: users('/auth/register'),
  },
  {
    method: 'POST',
    path: '/api/auth/login',
    summary: 'Exchange e-mail and password for an access token and a refresh token',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: loginRequest,
    success: { status: 200, description: 'Tokens and the signed-in user', schema: tokenPair },
    errors: [401],
    target: users('/auth/login'),
  },
  {
    method: 'POST',
    path: '/api/auth/refresh',
    summary: 'Rotate a refresh token into a new token pair',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: refreshRequest,
    success: { status: 200, description: 'A new token pair; the old refresh token is spent', schema: tokenPair },
    errors: [401],
    target: users('/auth/refresh'),
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    summary: 'Revoke a refresh token',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: refreshRequest,
    success: { status: 204, description: 'Revoked' },
    errors: [],
    target: users('/auth/logout'),
  },
  {
    method: 'GET',
    path: '/api/users/me',
    summary: 'The signed-in user',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    success: { status: 200, description: 'Profile', schema: user },
    errors: [],
    target: users('/me'),
  },
  {
    method: 'PUT',
    path: '/api/users/me',
    summary: 'Change the display name',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    body: updateMeRequest,
    success: { status: 200, description: 'Updated profile', schema: user },
    errors: [],
    target: users('/me'),
  },
  {
    method: 'GET',
    path: '/api/users/me/addresses',
    summary: 'Addresses of the signed-in user',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    success: { status: 200, description: 'Addresses', schema: addressList },
    errors: [],
    target: users('/me/addresses'),
  },
  {
    method: 'POST',
    path: '/api/users/me/addresses',
    summary: 'Add an address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    body: addressRequest,
    success: { status: 201, description: 'The new address', schema: address },
    errors: [],
    target: users('/me/addresses'),
  },
  {
    method: 'GET',
    path: '/api/users/me/addresses/:id',
    summary: 'One address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    params: addressIdParams,
    success: { status: 200, description: 'Address', schema: address },
    errors: [404],
    target: users('/me/addresses/:id'),
  },
  {
    method: 'PUT',
    path: '/api/users/me/addresses/:id',
    summary: 'Replace an address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    params: addressIdParams,
    body: addressRequest,
    success: { status: 200, description: 'Replaced address', schema: address },
    errors: [404],
    target: users('/me/addresses/:id'),
  },
  {
    method: 'DELETE',
    path: '/api/users/me/addresses/:id',
    summary: 'Delete an address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    params: addressIdParams,
    success: { status: 204, description: 'Deleted' },
    errors: [404],
    target: users('/me/addresses/:id'),
  },
  {
    method: 'GET',
    path: '/api/admin/users',
    summary: 'List accounts (admin role)',
    tag: adminTag,
    access: 'admin',
    limit: 'api',
    query: listUsersQuery,
    success: { status: 200, description: 'One page of accounts, oldest first', schema: userPage },
    errors: [],
    target: users('/admin/users'),
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'Public keys that verify access tokens (for the ingress JWT check and other verifiers)',
    tag: authTag,
    access: 'public',
    limit: 'api',
    success: { status: 200, description: 'JSON Web Key Set (ES256)', schema: jwks },
    errors: [],
    target: users('/.well-known/jwks.json'),
  },
  {
    method: 'GET',
    path: '/api/products',
    summary: 'List products, filtered and sorted',
    tag: catalogTag,
    access: 'public',
    limit: 'api',
    query: productListQuery,
    success: { status: 200, description: 'One page of products', schema: productPage },
    errors: [],
    target: catalog('/products'),
  },
  {
    method: 'GET',
    path: '/api/products/:id',
    summary: 'One product',
    tag: catalogTag,
    access: 'public',
    limit: 'api',
    params: productIdParams,
    success: { status: 200, description: 'Product', schema: product },
    errors: [404],
    target: catalog('/products/:id'),
  },
  {
    method: 'POST',
    path: '/api/products',
    summary: 'Create a product (admin role)',
    tag: catalogTag,
    access: 'admin',
    limit: 'api',
    body: productRequest,
    success: { status: 201, description: 'The new product', schema: product },
    errors: [],
    target: catalog('/products'),
  },
  {
    method: 'PUT',
    path: '/api/products/:id',
    summary: 'Replace what describes a product (admin role)',
    tag: catalogTag,
    access: 'admin',
    limit: 'api',
    params: productIdParams,
    body: productReplaceRequest,
    success: { status: 200, description: 'Updated product', schema: product },
    errors: [404, 409],
    target: catalog('/products/:id'),
  },
  {
    method: 'DELETE',
    path: '/api/products/:id',
    summary: 'Delete a product (admin role)',
    tag: catalogTag,
    access: 'admin',
    limit: 'api',
    params: productIdParams,
    success: { status: 204, description: 'Deleted' },
    errors: [404],
    target: catalog('/products/:id'),
  },
  {
    method: 'GET',
    path: '/api/products/:id/stock',
    summary: 'A product’s stock: available, held by open reservations, threshold (admin role)',
    tag: inventoryTag,
    access: 'admin',
    limit: 'api',
    params: productIdParams,
    success: { status: 200, description: 'Stock', schema: stockLevel },
    errors: [404],
    target: inventory('/stock/:id'),
  },
  {
    method: 'PUT',
    path: '/api/products/:id/stock',
    summary: 'Set the stock that can be reserved, and the low-stock threshold (admin role)',
    tag: inventoryTag,
    access: 'admin',
    limit: 'api',
    params: productIdParams,
    body: stockRequest,
    success: { status: 200, description: 'Stock as set', schema: stockLevel },
    errors: [],
    target: inventory('/stock/:id'),
  },
  {
    method: 'GET',
    path: '/api/products/:id/stock/movements',
    summary: 'A product’s stock movements, newest first (admin role)',
    tag: inventoryTag,
    access: 'admin',
    limit: 'api',
    params: productIdParams,
    query: movementsQuery,
    success: { status: 200, description: 'Movements', schema: stockMovements },
    errors: [404],
    target: inventory('/stock/:id/movements'),
  },
  {
    method: 'GET',
    path: '/api/categories',
    summary: 'Categories with their product counts',
    tag: catalogTag,
    access: 'public',
    limit: 'api',
    success: { status: 200, description: 'Categories', schema: categoryList },
    errors: [],
    target: catalog('/categories'),
  },
  {
    method: 'POST',
    path: '/api/categories',
    summary: 'Create a category (admin role)',
    tag: catalogTag,
    access: 'admin',
    limit: 'api',
    body: categoryRequest,
    success: { status: 201, description: 'The new category', schema: category },
    errors: [409],
    target: catalog('/categories'),
  },
  {
    method: 'POST',
    path: '/api/orders',
    summary: 'Check out: reserve stock, charge the card, and answer once the order is paid or failed',
    tag: ordersTag,
    access: 'user',
    limit: 'api',
    headers: checkoutHeaders,
    body: checkoutRequest,
    timeout: 'saga',
    success: {
      status: 201,
      description: 'The new order, `paid` or `failed` with a `reason` (e.g. out of stock, card declined)',
      schema: order,
      alternatives: [
        { status: 200, description: 'The order an earlier request with this Idempotency-Key created' },
        { status: 202, description: 'The order, still `pending`: ask again with the same key or GET it later' },
      ],
    },
    errors: [422],
    target: orders('/orders'),
  },
  {
    method: 'GET',
    path: '/api/orders',
    summary: 'Orders of the signed-in user, newest first',
    tag: ordersTag,
    access: 'user',
    limit: 'api',
    query: listOrdersQuery,
    success: { status: 200, description: 'One page of orders', schema: orderPage },
    errors: [],
    target: orders('/orders'),
  },
  {
    method: 'GET',
    path: '/api/orders/:id',
    summary: 'One order with its status timeline (its owner or an admin)',
    tag: ordersTag,
    access: 'user',
    limit: 'api',
    params: orderIdParams,
    success: { status: 200, description: 'Order', schema: order },
    errors: [404],
    target: orders('/orders/:id'),
  },
  {
    method: 'POST',
    path: '/api/orders/:id/cancel',
    summary: 'Cancel a paid order: the charge is refunded and the stock returned',
    tag: ordersTag,
    access: 'user',
    limit: 'api',
    params: orderIdParams,
    timeout: 'saga',
    success: {
      status: 200,
      description: 'The cancelled order',
      schema: order,
      alternatives: [{ status: 202, description: 'Cancellation under way: the refund has not gone through yet' }],
    },
    errors: [404, 409],
    target: orders('/orders/:id/cancel'),
  },
  {
    method: 'GET',
    path: '/api/notifications',
    summary: 'In-app notifications of the signed-in user, newest first',
    tag: notificationsTag,
    access: 'user',
    limit: 'api',
    query: listNotificationsQuery,
    success: { status: 200, description: 'One page of notifications', schema: notificationPage },
    errors: [],
    target: notifications('/notifications'),
  },
  {
    method: 'POST',
    path: '/api/notifications/:id/read',
    summary: 'Mark a notification read',
    tag: notificationsTag,
    access: 'user',
    limit: 'api',
    params: notificationIdParams,
    success: { status: 204, description: 'Marked read' },
    errors: [404],
    target: notifications('/notifications/:id/read'),
  },
  {
    method: 'POST',
    path: '/api/links',
    summary: 'Shorten a URL, under a generated code or a chosen alias, optionally expiring',
    tag: linksTag,
    access: 'user',
    limit: 'api',
    body: shortenRequest,
    success: { status: 201, description: 'The new short link', schema: link },
    errors: [409],
    target: links('shorten'),
  },
  {
    method: 'GET',
    path: '/api/links',
    summary: 'Short links of the signed-in user, newest first',
    tag: linksTag,
    access: 'user',
    limit: 'api',
    query: listLinksQuery,
    success: { status: 200, description: 'One page of links', schema: linkPage },
    errors: [],
    target: links('list'),
  },
  {
    method: 'DELETE',
    path: '/api/links/:code',
    summary: 'Delete a short link; its code answers 410 Gone from then on and is never reused',
    tag: linksTag,
    access: 'user',
    limit: 'api',
    params: linkCodeParams,
    success: { status: 204, description: 'Deleted' },
    errors: [404],
    target: links('delete'),
  },
  {
    method: 'GET',
    path: '/api/links/:code/stats',
    summary: 'Clicks over time, top referrers and user agents of a short link',
    tag: linksTag,
    access: 'user',
    limit: 'api',
    params: linkCodeParams,
    query: linkStatsQuery,
    success: { status: 200, description: 'Statistics', schema: linkStats },
    errors: [404],
    target: links('stats'),
  },
  {
    method: 'GET',
    path: '/api/links/:code/stats/stream',
    summary: 'Live click counts of a short link as server-sent events',
    tag: linksTag,
    access: 'user',
    limit: 'api',
    params: linkCodeParams,
    success: {
      status: 200,
      description:
        '`event: clicks` with the counts at once, then whenever they change; `: ping` comments while idle; ' +
        '`event: error` with a problem if the stream fails',
      contentType: 'text/event-stream',
      schema: clickEvent,
    },
    errors: [404],
    target: links('statsStream'),
  },
  {
    method: 'GET',
    path: '/s/:code',
    summary: 'Follow a short link (every follow is counted)',
    tag: linksTag,
    access: 'public',
    limit: 'redirect',
    params: linkCodeParams,
    notFoundOnBadParams: true,
    success: {
      status: 302,
      description: 'Redirect to the target URL',
      headers: { location: 'the target URL' },
    },
    errors: [404, 410],
    target: links('redirect'),
  },
  {
    method: 'POST',
    path: '/api/qr',
    summary: 'Generate a QR code (identical requests are served from the cache)',
    tag: qrTag,
    access: 'user',
    limit: 'api',
    body: qrRequest,
    success: {
      status: 201,
      description: 'The image',
      contentType: qrImageTypes,
      headers: {
        location: '`/api/qr/{id}`, where the image stays available',
        'x-qr-id': 'id of the code',
        'x-qr-cache': '`hit` when served from the cache, `miss` when rendered',
      },
    },
    errors: [],
    target: qr('generate'),
  },
  {
    method: 'GET',
    path: '/api/qr/:id',
    summary: 'A QR code generated earlier',
    tag: qrTag,
    access: 'public',
    limit: 'api',
    params: qrIdParams,
    notFoundOnBadParams: true,
    success: {
      status: 200,
      description: 'The image; it never changes, so it may be cached for good',
      contentType: qrImageTypes,
      headers: { etag: 'the same for every answer for one id' },
      alternatives: [{ status: 304, description: 'Not modified (If-None-Match)' }],
    },
    errors: [404],
    target: qr('get'),
  },
  {
    method: 'POST',
    path: '/api/qr/batch',
    summary: 'Generate up to 500 QR codes, with progress as server-sent events',
    tag: qrTag,
    access: 'user',
    limit: 'api',
    body: qrBatchRequest,
    bodyLimit: 'batch',
    success: {
      status: 200,
      description:
        '`event: progress` per item in order, then `event: summary`; `event: error` with a problem if the ' +
        'stream fails midway. A batch refused up front is a 400 problem, not a stream.',
      contentType: 'text/event-stream',
      schema: z.union([qrProgressEvent, qrSummaryEvent]),
    },
    errors: [],
    target: qr('batch'),
  },
  {
    method: 'POST',
    path: '/api/analytics/track',
    summary: 'Record a client event (anonymous without a token)',
    tag: analyticsTag,
    access: 'optional',
    limit: 'api',
    body: trackRequest,
    success: { status: 202, description: 'Accepted', schema: tracked },
    errors: [],
    target: analytics('/analytics/track'),
  },
  {
    method: 'GET',
    path: '/api/analytics/summary',
    summary: 'Sign-ups, orders, revenue, links, clicks and QR codes over a time range (admin role)',
    tag: analyticsTag,
    access: 'admin',
    limit: 'api',
    query: analyticsRangeQuery,
    success: { status: 200, description: 'Summary', schema: analyticsSummary },
    errors: [],
    target: analytics('/analytics/summary'),
  },
  {
    method: 'GET',
    path: '/api/analytics/dashboard',
    summary: 'Totals, time series, top links and top products (admin role)',
    tag: analyticsTag,
    access: 'admin',
    limit: 'api',
    query: dashboardQuery,
    success: { status: 200, description: 'Dashboard', schema: analyticsDashboard },
    errors: [],
    target: analytics('/analytics/dashboard'),
  },
  {
    method: 'GET',
    path: '/api/analytics/usage',
    summary: 'Usage report of the signed-in user',
    tag: analyticsTag,
    access: 'user',
    limit: 'api',
    query: analyticsRangeQuery,
    success: { status: 200, description: 'Usage report', schema: usageReport },
    errors: [],
    target: analytics('/analytics/users/:callerId/usage'),
  },
  {
    method: 'GET',
    path: '/api/analytics/users/:userId/usage',
    summary: 'Usage report of any user (admin role)',
    tag: analyticsTag,
    access: 'admin',
    limit: 'api',
    params: userIdParams,
    query: analyticsRangeQuery,
    success: { status: 200, description: 'Usage report', schema: usageReport },
    errors: [],
    target: analytics('/analytics/users/:userId/usage'),
  },
  {
    method: 'GET',
    path: '/api/admin/traces/:traceId',
    summary: 'The spans of one trace, for a waterfall (admin role); every response names its trace in `x-trace-id`',
    tag: adminTag,
    access: 'admin',
    limit: 'api',
    params: traceIdParams,
    success: { status: 200, description: 'The trace, ordered by start', schema: traceView },
    errors: [404],
    target: { kind: 'traces' },
  },
  {
    method: 'GET',
    path: '/api/search',
    summary: 'Search products: ranked, highlighted, with facet counts over the whole match',
    tag: searchTag,
    access: 'public',
    limit: 'api',
    query: searchQuery,
    success: { status: 200, description: 'One page of results and the facets', schema: searchResult },
    errors: [],
    target: search('/search'),
  },
  {
    method: 'GET',
    path: '/api/search/suggest',
    summary: 'Product names for search-as-you-type: words starting with the input, then near misses',
    tag: searchTag,
    access: 'public',
    limit: 'api',
    query: suggestQuery,
    success: { status: 200, description: 'At most ten names', schema: suggestions },
    errors: [],
    target: search('/search/suggest'),
  },
  {
    method: 'POST',
    path: '/api/admin/search/rebuild',
    summary: 'Rebuild the search index from catalog, in the background (admin role)',
    tag: searchTag,
    access: 'admin',
    limit: 'api',
    success: { status: 202, description: 'The rebuild, just started', schema: rebuildProgress },
    errors: [409],
    target: search('/admin/rebuild'),
  },
  {
    method: 'GET',
    path: '/api/admin/search/rebuild',
    summary: 'Progress of the latest search index rebuild (admin role)',
    tag: searchTag,
    access: 'admin',
    limit: 'api',
    success: { status: 200, description: 'The latest rebuild', schema: rebuildProgress },
    errors: [404],
    target: search('/admin/rebuild'),
  },
  {
    method: 'GET',
    path: '/api/products/:id/recommendations',
    summary: "Bought with this product; its category's best-sellers while few orders connect it",
    tag: recommendationsTag,
    access: 'public',
    limit: 'api',
    params: productIdParams,
    query: recommendationQuery,
    success: { status: 200, description: 'Recommendations, best first', schema: recommendationList },
    errors: [],
    target: recommendations('forProduct'),
  },
  {
    method: 'GET',
    path: '/api/recommendations',
    summary: 'For the signed-in user, from their paid orders; best-sellers before their first',
    tag: recommendationsTag,
    access: 'user',
    limit: 'api',
    query: recommendationQuery,
    success: { status: 200, description: 'Recommendations, best first', schema: recommendationList },
    errors: [],
    target: recommendations('forMe'),
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'meta',
    access: 'public',
    limit: 'api',
    success: { status: 200, description: 'OpenAPI 3.1 document', contentType: 'application/json' },
    errors: [],
    target: { kind: 'openapi' },
  },
  {
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tag: 'meta',
    access: 'public',
    success: { status: 200, description: 'Alive', contentType: 'application/json' },
    errors: [],
    target: { kind: 'kit' },
  },
  {
    method: 'GET',
    path: '/readyz',
    summary: "Readiness: the gateway's Dapr sidecar serves outbound calls",
    tag: 'meta',
    access: 'public',
    success: { status: 200, description: 'Ready (503 with the failing checks otherwise)', contentType: 'application/json' },
    errors: [],
    target: { kind: 'kit' },
  },
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'meta',
    access: 'public',
    success: { status: 200, description: 'Prometheus text exposition format', contentType: 'text/plain' },
    errors: [],
    target: { kind: 'kit' },
  },
];
