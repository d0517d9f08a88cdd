/**
 * REST routes (docs/CONTRACTS.md "analytics"), reached only through the sidecar. Bearer
 * tokens are verified here again (users' JWKS through our sidecar): reports are for
 * admins, a usage report also for its own user, and tracking works signed in or not.
 */

import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { dashboardQuery, rangeQuery, trackRequest, usageParams } from '@meshmart/contracts/analytics';
import {
  type AccessTokenVerifier,
  type AppContext,
  maybeUserOf,
  optionalUser,
  parse,
  problems,
  requireRole,
  requireUser,
  userOf,
} from '@meshmart/kit';
import { trackedRollup } from './increments.ts';
import { tracked } from './metrics.ts';
import type { Reports } from './reports.ts';
import type { RollupStore } from './rollup-store.ts';
import { resolveGranularity, resolveRange, trackedAt } from './schemas.ts';

export function mountRoutes(router: Router, deps: { store: RollupStore; reports: Reports; verifier: AccessTokenVerifier }): void {
  const { store, reports, verifier } = deps;

  const admin = requireRole(verifier, 'admin', 'for analytics reports');

  // Anonymous tracking is allowed; a token that is sent must be valid.
  router.post('/analytics/track', optionalUser(verifier), async (ctx) => {
    const userId = maybeUserOf(ctx)?.id;
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

  router.get('/analytics/summary', admin, async (ctx) => {
    const range = resolveRange(parse(rangeQuery, ctx.query), new Date());
    ctx.body = await reports.summary(range);
  });

  router.get('/analytics/dashboard', admin, async (ctx) => {
    const query = parse(dashboardQuery, ctx.query);
    const range = resolveRange(query, new Date());
    ctx.body = await reports.dashboard(range, resolveGranularity(query.granularity, range));
  });

  router.get('/analytics/users/:userId/usage', requireUser(verifier), async (ctx) => {
    const principal = userOf(ctx);
    const { userId } = parse(usageParams, ctx.params);
    if (principal.id !== userId && !principal.roles.includes('admin')) {
      throw problems.forbidden("another user's usage report needs the admin role");
    }
    const range = resolveRange(parse(rangeQuery, ctx.query), new Date());
    ctx.body = await reports.usage(userId, range);
  });
}
