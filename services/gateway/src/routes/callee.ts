import type { ServiceName } from '@meshmart/kit/topology';
import type { z } from 'zod';
import type { CalleeApi, GatewayRoute, LimitGroup, RouteTarget } from '../routes.ts';

/**
 * A route as a callee's file writes it: it takes the callee's tag, draws from the `api`
 * rate limit and answers no problem statuses beyond the implied ones, unless it says so.
 */
export type RouteEntry = Omit<GatewayRoute, 'tag' | 'limit' | 'errors'> & {
  tag?: string;
  limit?: LimitGroup;
  errors?: number[];
};

/** The routes to one callee, and the schemas the OpenAPI document names as components. */
export function calleeApi(api: {
  tag: string;
  requests?: Record<string, z.ZodType>;
  responses?: Record<string, z.ZodType>;
  routes: readonly RouteEntry[];
}): CalleeApi {
  return {
    requests: api.requests ?? {},
    responses: api.responses ?? {},
    routes: api.routes.map((entry) => ({
      tag: api.tag,
      // The kit answers its probes and metrics before any route's middleware runs.
      limit: entry.target.kind === 'kit' ? undefined : 'api',
      errors: [],
      ...entry,
    })),
  };
}

/** Routes answered by `app`'s endpoint at `path`, reached through the sidecar. */
export const service =
  (app: ServiceName) =>
  (path: string): RouteTarget => ({ kind: 'service', app, path });
