/** What the handlers answering routes over gRPC (links.ts, qr.ts, recommendations.ts) share. */
import type { RouterContext } from '@koa/router';
import { problemFromGrpc, unary } from '@meshmart/kit';
import type { GatewayState } from './access-control.ts';

export type RouteContext = RouterContext<GatewayState>;
export type RouteHandler = (ctx: RouteContext) => Promise<void>;

/** Unary calls on `client`, each under `timeoutMs`; a failure becomes the problem its status stands for. */
export function unaryCalls(client: object, callee: string, timeoutMs: number) {
  return async <Req, Res>(fn: Parameters<typeof unary<Req, Res>>[0], req: Req): Promise<Res> => {
    try {
      return await unary(fn.bind(client), req, timeoutMs);
    } catch (err) {
      throw problemFromGrpc(err, callee);
    }
  };
}
