/**
 * Input validation at the edge of the service that owns the data. zod schemas declared
 * with z.strictObject reject unknown fields, so a typo or an injected operator object
 * (`{"$gt": ""}`) is a 400 with the field named, never a partial write.
 */
import { idempotencyKey } from '@meshmart/contracts/common';
import { fieldErrors } from '@meshmart/contracts/problem';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { AppContext } from './app.ts';
import { problems } from './errors.ts';

export { fieldErrors };

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw problems.validation(fieldErrors(result.error));
  return result.data;
}

/** The Idempotency-Key header and the body, with the faults of both in one 400. */
export function keyAndBody<S extends z.ZodType>(ctx: Context, schema: S): { key: string; input: z.infer<S> } {
  const key = idempotencyKey.safeParse(ctx.get('idempotency-key'));
  const input = schema.safeParse((ctx as AppContext).state.body);
  if (key.success && input.success) return { key: key.data, input: input.data };
  throw problems.validation([
    ...(key.success ? [] : [{ field: 'Idempotency-Key', message: key.error.issues[0]?.message ?? 'invalid' }]),
    ...(input.success ? [] : fieldErrors(input.error)),
  ]);
}
