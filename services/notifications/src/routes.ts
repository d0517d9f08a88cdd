/**
 * The signed-in user's in-app notifications, reached only through the sidecar. The
 * gateway verified the token already; notifications verifies it again, so no caller
 * that skipped the edge can read another user's notifications.
 */
import type Router from '@koa/router';
import { emptyBody } from '@meshmart/contracts/common';
import { listNotificationsQuery, notificationIdParam } from '@meshmart/contracts/notifications';
import { type AccessTokenVerifier, type AppContext, parse, problems, requireUser, userOf } from '@meshmart/kit';
import type { NotificationStore } from './notifications-store.ts';

export function mountRoutes(router: Router, store: NotificationStore, verifier: AccessTokenVerifier): void {
  const user = requireUser(verifier);
  router.get('/notifications', user, async (ctx) => {
    const { id: userId } = userOf(ctx);
    const page = parse(listNotificationsQuery, ctx.query);
    ctx.body = await store.list(userId, page);
  });

  router.post('/notifications/:id/read', user, async (ctx) => {
    const { id: userId } = userOf(ctx);
    const id = parse(notificationIdParam, ctx.params.id);
    parse(emptyBody, (ctx as AppContext).state.body);
    if (!(await store.markRead(userId, id))) throw problems.notFound(`no notification ${id}`);
    ctx.status = 204;
  });
}
