/**
 * REST for admins (docs/CONTRACTS.md "inventory"), reached through the gateway: a
 * product's stock, setting it, and its movement history. inventory checks the admin
 * token itself against users' keys, so a caller that reaches it some other way gains nothing.
 */

import type Router from '@koa/router';
import { productId } from '@meshmart/contracts/common';
import { movementsQuery, stockRequest } from '@meshmart/contracts/inventory';
import { type AccessTokenVerifier, type AppContext, type Principal, parse, problems } from '@meshmart/kit';
import type { Context } from 'koa';

import type { Ledger, StockRow } from './ledger.ts';

export function adminGuard(verifier: AccessTokenVerifier): (ctx: Context) => Promise<Principal> {
  return async (ctx) => {
    const principal = await verifier.verify(ctx.get('authorization'));
    if (!principal.roles.includes('admin')) throw problems.forbidden('the admin role is required to see or change stock');
    return principal;
  };
}

export function mountRoutes(router: Router, ledger: Ledger, requireAdmin: (ctx: Context) => Promise<Principal>): void {
  const stockOf = async (id: string): Promise<StockRow> => {
    const [row] = await ledger.getStock([id]);
    if (!row) throw problems.notFound(`no stock for product ${id}`);
    return row;
  };

  router.get('/stock/:id', async (ctx) => {
    await requireAdmin(ctx);
    ctx.body = await stockOf(parse(productId, ctx.params.id));
  });

  // Authorization comes before validation: who may not write learns nothing about the input.
  router.put('/stock/:id', async (ctx) => {
    const admin = await requireAdmin(ctx);
    const id = parse(productId, ctx.params.id);
    const { stock, lowStockThreshold } = parse(stockRequest, (ctx as AppContext).state.body);
    ctx.body = await ledger.adjust(id, stock, lowStockThreshold, admin.id);
  });

  router.get('/stock/:id/movements', async (ctx) => {
    await requireAdmin(ctx);
    const id = parse(productId, ctx.params.id);
    const { limit } = parse(movementsQuery, ctx.query);
    await stockOf(id);
    ctx.body = { items: await ledger.movements(id, limit) };
  });
}
