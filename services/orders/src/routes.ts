/**
 * REST routes, reached only through the sidecar (the app token is checked by the kit).
 * The buyer comes from the bearer token, verified here again: the gateway's check is the
 * first line, not the only one.
 */
import type Router from '@koa/router';
import { checkoutRequest, listOrdersQuery, orderIdParam } from '@meshmart/contracts/orders';
import { type AccessTokenVerifier, capability, keyAndBody, parse, requireUser, userOf } from '@meshmart/kit';
import type { Checkout } from './checkout.ts';
import { isSettled, orderView } from './order.ts';
import type { OrdersRepo, StoredOrder } from './orders-store.ts';

export interface RouteDeps {
  checkout: Checkout;
  repo: OrdersRepo;
  verifier: AccessTokenVerifier;
}

export function mountRoutes(router: Router, { checkout, repo, verifier }: RouteDeps): void {
  const buyer = requireUser(verifier);
  const yourOrders = capability('your orders');

  async function views(orders: StoredOrder[]) {
    const timelines = await repo.timelines(orders.map((o) => o.id));
    return orders.map((o) => orderView(o, timelines.get(o.id) ?? []));
  }

  router.post('/orders', capability('checkout'), buyer, async (ctx) => {
    const user = userOf(ctx);
    const { key, input } = keyAndBody(ctx, checkoutRequest);
    const { created, order } = await checkout.place(user, key, input);
    // 202: the saga outlasted the wait; the same key again (or GET /orders/:id) shows how it ends.
    ctx.status = !isSettled(order) ? 202 : created ? 201 : 200;
    ctx.body = (await views([order]))[0];
  });

  router.get('/orders', yourOrders, buyer, async (ctx) => {
    const user = userOf(ctx);
    const { limit, offset } = parse(listOrdersQuery, ctx.query);
    const { items, total } = await repo.listForUser(user.id, limit, offset);
    ctx.body = { items: await views(items), total, limit, offset };
  });

  router.get('/orders/:id', yourOrders, buyer, async (ctx) => {
    const user = userOf(ctx);
    const id = parse(orderIdParam, ctx.params.id);
    ctx.body = (await views([await checkout.visible(user, id)]))[0];
  });

  router.post('/orders/:id/cancel', capability('cancelling orders'), buyer, async (ctx) => {
    const user = userOf(ctx);
    const id = parse(orderIdParam, ctx.params.id);
    const order = await checkout.cancel(user, id);
    ctx.status = order.step === 'done' ? 200 : 202;
    ctx.body = (await views([order]))[0];
  });
}
