/** notifications' API: a user's in-app notifications. */
import { listNotificationsQuery, notificationIdParam, notificationPage } from '@meshmart/contracts/notifications';
import { z } from 'zod';
import { calleeApi, service } from './callee.ts';

const notificationIdParams = z.strictObject({ id: notificationIdParam });
const notifications = service('notifications');

export const notificationsApi = calleeApi({
  tag: 'notifications',
  responses: { NotificationPage: notificationPage },
  routes: [
    {
      method: 'GET',
      path: '/api/notifications',
      summary: 'In-app notifications of the signed-in user, newest first',
      access: 'user',
      query: listNotificationsQuery,
      success: { status: 200, description: 'One page of notifications', schema: notificationPage },
      target: notifications('/notifications'),
    },
    {
      method: 'POST',
      path: '/api/notifications/:id/read',
      summary: 'Mark a notification read',
      access: 'user',
      params: notificationIdParams,
      success: { status: 204, description: 'Marked read' },
      errors: [404],
      target: notifications('/notifications/:id/read'),
    },
  ],
});
