/** notifications' REST API: a user's in-app notifications. */
import { z } from 'zod';
import { pageQuery, queryBoolean } from './common.ts';

/** GET /notifications */
export const listNotificationsQuery = z.strictObject({
  ...pageQuery(1_000_000),
  unread: queryBoolean,
});

export const notificationIdParam = z.uuid();

export const notification = z.object({
  id: z.uuid(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  read: z.boolean(),
  createdAt: z.iso.datetime(),
});
export type Notification = z.infer<typeof notification>;

export const notificationPage = z.object({ items: z.array(notification), total: z.number().int() });
export type NotificationPage = z.infer<typeof notificationPage>;
