import assert from 'node:assert/strict';
import type { z } from 'zod';
import { type FieldError, fieldErrors } from '../src/problem.ts';

/** The field errors a refused input gets; fails when the input is accepted. */
export function errorsOf(schema: z.ZodType, value: unknown): FieldError[] {
  const result = schema.safeParse(value);
  if (result.success) assert.fail(`expected ${JSON.stringify(value)} to be refused`);
  return fieldErrors(result.error);
}

/** The names of the fields a refused input is faulted for, sorted. */
export const fieldsOf = (schema: z.ZodType, value: unknown): string[] =>
  errorsOf(schema, value)
    .map((e) => e.field)
    .sort();
