/** notifications' API: a user's in-app notifications. */
import { listNotificationsQuery, notificationIdParam, notificationPage } from '@meshmart/contracts/notifications';
import { z } from 'zod';
import type { CalleeApi } from '../routes.ts';
import { service } from './service.ts';

const notificationIdParams = z.strictObject({ id: notificationIdParam });
const notificationsTag = 'notifications';
const notifications = service('notifications');

export const notificationsApi: CalleeApi = {
  requests: {},
  responses: { NotificationPage: notificationPage },
  routes: [
    {
      method: 'GET',
      path: '/api/notifications',
      summary: 'In-app notifications of the signed-in user, newest first',
      tag: notificationsTag,
      access: 'user',
      limit: 'api',
      query: listNotificationsQuery,
      success: { status: 200, description: 'One page of notifications', schema: notificationPage },
      errors: [],
      target: notifications('/notifications'),
    },
    {
      method: 'POST',
      path: '/api/notifications/:id/read',
      summary: 'Mark a notification read',
      tag: notificationsTag,
      access: 'user',
      limit: 'api',
      params: notificationIdParams,
      success: { status: 204, description: 'Marked read' },
      errors: [404],
      target: notifications('/notifications/:id/read'),
    },
  ],
};
