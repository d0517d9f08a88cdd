/**
 * The one table of gateway routes, assembled from one file per callee (routes/). The
 * router is mounted from it and the OpenAPI document is generated from it, so a route
 * cannot exist without being described.
 */
import { problem } from '@meshmart/contracts/problem';
import type { ServiceName } from '@meshmart/kit/topology';
import type { z } from 'zod';
import { analyticsApi } from './routes/analytics.ts';
import { catalogApi } from './routes/catalog.ts';
import { gatewayApi } from './routes/gateway.ts';
import { inventoryApi } from './routes/inventory.ts';
import { linksApi } from './routes/links.ts';
import { notificationsApi } from './routes/notifications.ts';
import { ordersApi } from './routes/orders.ts';
import { qrApi } from './routes/qr.ts';
import { recommendationsApi } from './routes/recommendations.ts';
import { searchApi } from './routes/search.ts';
import { usersApi } from './routes/users.ts';

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
  /** The documentation UI and its files (docs.ts). */
  | { kind: 'docs' }
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

/**
 * The routes to one callee, written in routes/<callee>.ts with the callee's own schemas
 * from contracts, and the schemas the OpenAPI document names as components.
 */
export interface CalleeApi {
  /** Request bodies by component name, documented as the callee reads them. */
  requests: Record<string, z.ZodType>;
  /** Answers by component name. */
  responses: Record<string, z.ZodType>;
  routes: readonly GatewayRoute[];
}

const apis: readonly CalleeApi[] = [
  usersApi,
  catalogApi,
  inventoryApi,
  ordersApi,
  notificationsApi,
  linksApi,
  qrApi,
  analyticsApi,
  searchApi,
  recommendationsApi,
  gatewayApi,
];

export const routes: readonly GatewayRoute[] = apis.flatMap((api) => api.routes);

export const namedRequestSchemas: Record<string, z.ZodType> = Object.assign({}, ...apis.map((api) => api.requests));

export const namedResponseSchemas: Record<string, z.ZodType> = Object.assign(
  { Problem: problem },
  ...apis.map((api) => api.responses),
);
