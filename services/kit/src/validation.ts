/**
 * Input validation at the edge of the service that owns the data. zod schemas declared
 * with z.strictObject reject unknown fields, so a typo or an injected operator object
 * (`{"$gt": ""}`) is a 400 with the field named, never a partial write.
 */
import { fieldErrors } from '@meshmart/contracts/problem';
import type { z } from 'zod';
import { problems } from './errors.ts';

export { fieldErrors };

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw problems.validation(fieldErrors(result.error));
  return result.data;
}
