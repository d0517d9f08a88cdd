/**
 * Handlers that validate a request against its route's schemas and pass it to users
 * through the gateway's Dapr sidecar. Users' status codes and problem bodies come back
 * unchanged (the kit's Sidecar rethrows upstream problems); a dead hop is a 503 or 504.
 */
import type { RouterContext } from '@koa/router';
import { forwardedHeaders, parse, type Sidecar } from '@meshmart/kit';
import type { GatewayState } from './access-control.ts';
import type { GatewayRoute } from './routes.ts';

const USERS_APP_ID = 'users';

export function forwardToUsers(sidecar: Sidecar, route: GatewayRoute, upstreamPath: string) {
  return async (ctx: RouterContext<GatewayState>) => {
    const params: Record<string, unknown> = route.params ? parse(route.params, ctx.params) : {};
    const query: Record<string, unknown> | undefined = route.query ? parse(route.query, ctx.query) : undefined;
    const body = route.body ? parse(route.body, ctx.state.body) : undefined;
    const path = upstreamPath.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params[name])));
    const response = await sidecar.invoke(USERS_APP_ID, path + queryString(query), {
      method: route.method,
      ...(body !== undefined && { body }),
      // The request id may have been minted by the gateway, so it is not in the headers.
      headers: forwardedHeaders({ ...ctx.headers, 'x-request-id': ctx.state.requestId }),
    });
    ctx.status = response.status;
    if (response.body !== '') ctx.body = response.body;
    // Profiles and tokens are private to one caller; nothing on the way may keep them.
    ctx.set('cache-control', 'no-store');
  };
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const pairs = Object.entries(query).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]]));
  return pairs.length > 0 ? `?${new URLSearchParams(pairs)}` : '';
}
