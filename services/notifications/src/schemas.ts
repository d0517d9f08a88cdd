/** Query and path parameters notifications accepts. Strict: unknown parameters are refused. */
import { z } from 'zod';

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  unread: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
});

export const notificationIdParam = z.uuid();

/** POST /notifications/:id/read takes no body; an empty JSON object is tolerated. */
export const emptyBody = z.union([z.undefined(), z.strictObject({})]);
