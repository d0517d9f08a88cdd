/**
 * Search's REST API, reached only through the sidecar. Searching is public; rebuilding
 * is for admins, whose token search verifies itself (users' keys through its sidecar).
 */
import type Router from '@koa/router';
import { emptyBody } from '@meshmart/contracts/common';
import { searchQuery, suggestQuery } from '@meshmart/contracts/search';
import { type AccessTokenVerifier, type AppContext, parse, problems, requireRole } from '@meshmart/kit';
import type pg from 'pg';
import { queryDurationSeconds } from './metrics.ts';
import { search, suggest } from './queries.ts';
import type { Rebuilds } from './rebuild.ts';

export function mountRoutes(router: Router, deps: { pool: pg.Pool; rebuilds: Rebuilds; verifier: AccessTokenVerifier }): void {
  const { pool, rebuilds, verifier } = deps;

  const admin = requireRole(verifier, 'admin', 'to rebuild the search index');

  router.get('/search', async (ctx) => {
    const query = parse(searchQuery, ctx.query);
    const end = queryDurationSeconds.startTimer({ kind: 'search' });
    ctx.body = await search(pool, query);
    end();
  });

  router.get('/search/suggest', async (ctx) => {
    const { q } = parse(suggestQuery, ctx.query);
    const end = queryDurationSeconds.startTimer({ kind: 'suggest' });
    ctx.body = { suggestions: await suggest(pool, q) };
    end();
  });

  // Authorization comes before validation: who may not rebuild learns nothing about the input.
  router.post('/admin/rebuild', admin, async (ctx) => {
    parse(emptyBody, (ctx as AppContext).state.body);
    ctx.status = 202;
    ctx.body = await rebuilds.start();
  });

  router.get('/admin/rebuild', admin, async (ctx) => {
    const latest = await rebuilds.latest();
    if (!latest) throw problems.notFound('no rebuild has run yet');
    ctx.body = latest;
  });
}
