/** REST routes, reached only through the sidecar (the app token is checked by the kit). */
import type Router from '@koa/router';
import { chargeIdParam, chargeRequest, refundRequest } from '@meshmart/contracts/payments';
import { keyAndBody, parse, problems } from '@meshmart/kit';
import type { Context } from 'koa';
import type { Payments, Reply } from './payments-store.ts';

function send(ctx: Context, reply: Reply): void {
  ctx.status = reply.status;
  ctx.type = reply.status >= 400 ? 'application/problem+json' : 'application/json';
  ctx.body = reply.body;
  if (reply.replayed) ctx.set('idempotent-replayed', 'true');
}

export function mountRoutes(router: Router, payments: Payments): void {
  router.post('/charges', async (ctx) => {
    const { key, input } = keyAndBody(ctx, chargeRequest);
    send(ctx, await payments.charge(key, input, ctx.path));
  });

  router.get('/charges/:id', async (ctx) => {
    const id = parse(chargeIdParam, ctx.params.id);
    const charge = await payments.get(id);
    if (!charge) throw problems.notFound(`no charge ${id}`);
    ctx.body = charge;
  });

  router.post('/charges/:id/refunds', async (ctx) => {
    const id = parse(chargeIdParam, ctx.params.id);
    const { key, input } = keyAndBody(ctx, refundRequest);
    send(ctx, await payments.refund(id, key, input.amountMinor, ctx.path));
  });
}
