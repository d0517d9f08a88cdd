/**
 * Handlers that validate a request against its route's schemas and pass it to the
 * service behind it through the gateway's Dapr sidecar. The callee's status codes and
 * problem bodies come back unchanged (the kit's Sidecar rethrows upstream problems); a
 * dead hop is a 503 or 504.
 */
import type { RouterContext } from '@koa/router';
import { fieldErrors, forwardedHeaders, parse, problems, type Sidecar } from '@meshmart/kit';
import type { ServiceName } from '@meshmart/kit/topology';
import type { GatewayState } from './access-control.ts';
import type { GatewayRoute } from './routes.ts';

export interface ServiceTarget {
  app: ServiceName;
  path: string;
  timeoutMs: number;
}

export interface RouteInput {
  params: Record<string, unknown>;
  query: Record<string, unknown> | undefined;
  body: unknown;
}

/** The request's path parameters, query and body, each validated by the route's schema. */
export function routeInput(route: GatewayRoute, ctx: RouterContext<GatewayState>): RouteInput {
  let params: Record<string, unknown> = {};
  if (route.params) {
    const result = route.params.safeParse(ctx.params);
    if (result.success) params = result.data;
    else if (route.notFoundOnBadParams) throw problems.notFound(`nothing at ${ctx.path}`);
    else throw problems.validation(fieldErrors(result.error));
  }
  return {
    params,
    query: route.query ? parse(route.query, ctx.query) : undefined,
    body: route.body ? parse(route.body, ctx.state.body) : undefined,
  };
}

export function forwardToService(sidecar: Sidecar, route: GatewayRoute, target: ServiceTarget) {
  return async (ctx: RouterContext<GatewayState>) => {
    const { params, query, body } = routeInput(route, ctx);
    const headers = routeHeaders(route, ctx.headers);
    const fill = (name: string) => (name === 'callerId' ? ctx.state.user?.id : params[name]);
    const path = target.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(fill(name))));
    const response = await sidecar.invoke(target.app, path + queryString(query), {
      method: route.method,
      ...(body !== undefined && { body }),
      // The request id may have been minted by the gateway, so it is not in the headers.
      headers: { ...forwardedHeaders({ ...ctx.headers, 'x-request-id': ctx.state.requestId }), ...headers },
      timeoutMs: target.timeoutMs,
    });
    ctx.status = response.status;
    if (response.body !== '') ctx.body = response.body;
    // Profiles, tokens and orders are private to one caller, and stock levels go stale in
    // seconds: nothing on the way may keep an answer.
    ctx.set('cache-control', 'no-store');
  };
}

/** The route's own headers, validated; a missing or bad one is a field error named after the header. */
function routeHeaders(route: GatewayRoute, incoming: Record<string, unknown>): Record<string, string> {
  if (!route.headers) return {};
  const names = Object.keys(route.headers.shape);
  const result = route.headers.safeParse(Object.fromEntries(names.map((name) => [name, incoming[name]])));
  if (!result.success) {
    throw problems.validation(fieldErrors(result.error).map((e) => ({ ...e, field: `header ${e.field}` })));
  }
  return Object.fromEntries(
    Object.entries(result.data).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const pairs = Object.entries(query).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]]));
  return pairs.length > 0 ? `?${new URLSearchParams(pairs)}` : '';
}
