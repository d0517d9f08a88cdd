/**
 * REST routes (docs/CONTRACTS.md "analytics"), reached only through the sidecar. Bearer
 * tokens are verified here again (users' JWKS through our sidecar): reports are for
 * admins, a usage report also for its own user, and tracking works signed in or not.
 */

import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { dashboardQuery, rangeQuery, trackRequest, usageParams } from '@meshmart/contracts/analytics';
import { type AccessTokenVerifier, type AppContext, type Principal, parse, problems } from '@meshmart/kit';
import { trackedRollup } from './increments.ts';
import { tracked } from './metrics.ts';
import type { Reports } from './reports.ts';
import type { RollupStore } from './rollups.ts';
import { resolveGranularity, resolveRange, trackedAt } from './schemas.ts';

const isAdmin = (p: Principal) => p.roles.includes('admin');

export function mountRoutes(router: Router, deps: { store: RollupStore; reports: Reports; verifier: AccessTokenVerifier }): void {
  const { store, reports, verifier } = deps;

  const admin = async (authorization: string): Promise<Principal> => {
    const principal = await verifier.verify(authorization);
    if (!isAdmin(principal)) throw problems.forbidden('the admin role is required for analytics reports');
    return principal;
  };

  router.post('/analytics/track', async (ctx) => {
    const authorization = ctx.get('authorization');
    // Anonymous tracking is allowed; a token that is sent must be valid.
    const userId = authorization === '' ? undefined : (await verifier.verify(authorization)).id;
    const body = parse(trackRequest, (ctx as AppContext).state.body);
    const occurredAt = trackedAt(body.occurredAt, new Date());
    const eventId = body.eventId ?? randomUUID();
    const counted = await store.track(
      { scope: userId ?? '', eventId, userId, name: body.name, properties: body.properties ?? {}, occurredAt },
      trackedRollup(body.name, userId),
    );
    tracked.inc({ outcome: counted ? 'counted' : 'duplicate' });
    ctx.status = 202;
    ctx.body = { id: eventId };
  });

  router.get('/analytics/summary', async (ctx) => {
    await admin(ctx.get('authorization'));
    const range = resolveRange(parse(rangeQuery, ctx.query), new Date());
    ctx.body = await reports.summary(range);
  });

  router.get('/analytics/dashboard', async (ctx) => {
    await admin(ctx.get('authorization'));
    const query = parse(dashboardQuery, ctx.query);
    const range = resolveRange(query, new Date());
    ctx.body = await reports.dashboard(range, resolveGranularity(query.granularity, range));
  });

  router.get('/analytics/users/:userId/usage', async (ctx) => {
    const principal = await verifier.verify(ctx.get('authorization'));
    const { userId } = parse(usageParams, ctx.params);
    if (principal.id !== userId && !isAdmin(principal)) {
      throw problems.forbidden("another user's usage report needs the admin role");
    }
    const range = resolveRange(parse(rangeQuery, ctx.query), new Date());
    ctx.body = await reports.usage(userId, range);
  });
}
