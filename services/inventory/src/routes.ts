/**
 * REST for admins (docs/CONTRACTS.md "inventory"), reached through the gateway: a
 * product's stock, setting it, and its movement history. inventory checks the admin
 * token itself against users' keys, so a caller that reaches it some other way gains nothing.
 */

import type Router from '@koa/router';
import { productId } from '@meshmart/contracts/common';
import { movementsQuery, stockRequest } from '@meshmart/contracts/inventory';
import { type AccessTokenVerifier, type AppContext, parse, problems, requireRole, userOf } from '@meshmart/kit';

import type { Ledger, StockRow } from './ledger.ts';

export function mountRoutes(router: Router, ledger: Ledger, verifier: AccessTokenVerifier): void {
  const admin = requireRole(verifier, 'admin', 'to see or change stock');
  const stockOf = async (id: string): Promise<StockRow> => {
    const [row] = await ledger.getStock([id]);
    if (!row) throw problems.notFound(`no stock for product ${id}`);
    return row;
  };

  router.get('/stock/:id', admin, async (ctx) => {
    ctx.body = await stockOf(parse(productId, ctx.params.id));
  });

  // Authorization comes before validation: who may not write learns nothing about the input.
  router.put('/stock/:id', admin, async (ctx) => {
    const id = parse(productId, ctx.params.id);
    const { stock, lowStockThreshold } = parse(stockRequest, (ctx as AppContext).state.body);
    ctx.body = await ledger.adjust(id, stock, lowStockThreshold, userOf(ctx).id);
  });

  router.get('/stock/:id/movements', admin, async (ctx) => {
    const id = parse(productId, ctx.params.id);
    const { limit } = parse(movementsQuery, ctx.query);
    await stockOf(id);
    ctx.body = { items: await ledger.movements(id, limit) };
  });
}
