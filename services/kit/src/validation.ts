/**
 * Input validation at the edge of the service that owns the data. zod schemas declared
 * with z.strictObject reject unknown fields, so a typo or an injected operator object
 * (`{"$gt": ""}`) is a 400 with the field named, never a partial write.
 */
import type { z } from 'zod';
import { type FieldError, problems } from './errors.ts';

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: 'unknown field' }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
}

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw problems.validation(fieldErrors(result.error));
  return result.data;
}
