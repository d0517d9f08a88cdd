/**
 * The one table of gateway routes. The router is mounted from it and the OpenAPI
 * document is generated from it, so a route cannot exist without being described.
 */
import type { ServiceName } from '@meshmart/kit/topology';
import type { z } from 'zod';
import {
  address,
  addressIdParams,
  addressList,
  addressRequest,
  category,
  categoryList,
  categoryRequest,
  checkoutHeaders,
  checkoutRequest,
  jwks,
  listNotificationsQuery,
  listOrdersQuery,
  listUsersQuery,
  loginRequest,
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
  refreshRequest,
  registerRequest,
  stockRequest,
  tokenPair,
  updateMeRequest,
  user,
  userPage,
} from './schemas.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Who may call a route: anyone, any signed-in user, or users with the admin role. */
export type Access = 'public' | 'user' | 'admin';

/** Rate-limit budget a route draws from; see rate-limit.ts. */
export type LimitGroup = 'auth' | 'api';

export interface SuccessResponse {
  status: number;
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
  /** Other success statuses with the same body, e.g. 200 for an idempotent repeat. */
  alternatives?: Array<{ status: number; description: string }>;
}

/** What answers a route: a service's endpoint through the sidecar, or the gateway itself. */
export type RouteTarget =
  /** `path` is the callee's path; `:name` segments are filled from the validated params. */
  | { kind: 'service'; app: ServiceName; path: string }
  | { kind: 'openapi' }
  /** Probes and metrics come from the kit's app factory; listed here to be documented. */
  | { kind: 'kit' };

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
const orders = service('orders');
const notifications = service('notifications');

const authTag = 'auth';
const profileTag = 'profile';
const adminTag = 'admin';
const catalogTag = 'catalog';
const ordersTag = 'orders';
const notificationsTag = 'notifications';

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
    method: 'PUT',
    path: '/api/products/:id/stock',
    summary: 'Set the stock that can be reserved, and the low-stock threshold (admin role)',
    tag: catalogTag,
    access: 'admin',
    limit: 'api',
    params: productIdParams,
    body: stockRequest,
    success: { status: 200, description: 'Updated product', schema: product },
    errors: [404, 409],
    target: catalog('/products/:id/stock'),
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
    summary: "Readiness: the gateway's Dapr sidecar is healthy",
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
