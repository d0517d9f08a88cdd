/** notifications' REST API: a user's in-app notifications. */
import { z } from 'zod';
import { queryBoolean } from './common.ts';

/** GET /notifications */
export const listNotificationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
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

export const notificationPage = z.object({ items: z.array(notification), total: z.number().int() });

export type Notification = z.infer<typeof notification>;
