/** REST routes, reached only through the sidecar (the app token is checked by the kit). */
import type Router from '@koa/router';
import { idempotencyKey } from '@meshmart/contracts/common';
import { chargeIdParam, chargeRequest, refundRequest } from '@meshmart/contracts/payments';
import { type AppContext, fieldErrors, parse, problems } from '@meshmart/kit';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Payments, Reply } from './payments-store.ts';

/** The Idempotency-Key header and the body, with the faults of both in one 400. */
function keyAndBody<S extends z.ZodType>(ctx: Context, schema: S): { key: string; input: z.infer<S> } {
  const key = idempotencyKey.safeParse(ctx.get('idempotency-key'));
  const input = schema.safeParse((ctx as AppContext).state.body);
  if (key.success && input.success) return { key: key.data, input: input.data };
  throw problems.validation([
    ...(key.success ? [] : [{ field: 'Idempotency-Key', message: key.error.issues[0]?.message ?? 'invalid' }]),
    ...(input.success ? [] : fieldErrors(input.error)),
  ]);
}

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
