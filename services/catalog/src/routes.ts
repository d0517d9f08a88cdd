/**
 * REST routes (docs/CONTRACTS.md "catalog"), reached only through the sidecar. Writes are
 * for admins: the gateway checks the role first and catalog checks the token again.
 */
import type Router from '@koa/router';
import { categoryRequest, productListQuery, productReplaceRequest, productRequest } from '@meshmart/contracts/catalog';
import { productId } from '@meshmart/contracts/common';
import { type AccessTokenVerifier, type AppContext, parse, requireRole } from '@meshmart/kit';
import type { Context } from 'koa';
import type { Products } from './products.ts';
import { restUnavailable } from './unavailable.ts';

export interface RouteDeps {
  products: Products;
  verifier: AccessTokenVerifier;
}

export function mountRoutes(router: Router, { products, verifier }: RouteDeps): void {
  const admin = requireRole(verifier, 'admin', 'to change the catalog');
  router.use(restUnavailable());
  const body = (ctx: Context) => (ctx as AppContext).state.body;

  router.get('/products', async (ctx) => {
    ctx.body = await products.list(parse(productListQuery, ctx.query));
  });

  router.get('/products/:id', async (ctx) => {
    ctx.body = await products.get(parse(productId, ctx.params.id));
  });

  // Authorization comes before validation: who may not write learns nothing about the input.
  router.post('/products', admin, async (ctx) => {
    const created = await products.create(parse(productRequest, body(ctx)));
    ctx.status = 201;
    ctx.set('location', `/products/${created.id}`);
    ctx.body = created;
  });

  router.put('/products/:id', admin, async (ctx) => {
    const id = parse(productId, ctx.params.id);
    ctx.body = await products.replace(id, parse(productReplaceRequest, body(ctx)));
  });

  router.delete('/products/:id', admin, async (ctx) => {
    await products.remove(parse(productId, ctx.params.id));
    ctx.status = 204;
  });

  router.get('/categories', async (ctx) => {
    ctx.body = { items: await products.categories() };
  });

  router.post('/categories', admin, async (ctx) => {
    const { id, name } = parse(categoryRequest, body(ctx));
    ctx.status = 201;
    ctx.body = await products.createCategory(name, id);
  });
}
