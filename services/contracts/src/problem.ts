/**
 * RFC 9457 problem details as every service renders them. A caller that must tell one
 * failure from another branches on `code`, one of the named codes its callee's contract
 * exports, never on `title` or `detail`, which are words for people.
 */
import { z } from 'zod';

/** One entry of a problem's `errors`: the dotted path of the offending field and why. */
export interface FieldError {
  field: string;
  message: string;
}

/** A zod error as field errors; an unknown key is named as a field of its own. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: 'unknown field' }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
}

export const problem = z.looseObject({
  type: z.url(),
  title: z.string(),
  status: z.number().int(),
  code: z.string().optional().describe('what went wrong, for programs: one of the error codes of the API'),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problem>;

/** Codes every API that takes an Idempotency-Key may answer. */
export const idempotencyErrors = {
  /** 422: the key was used before with a different request. */
  keyReused: 'idempotency_key_reused',
  /** 409: a request with the key is still being processed; retry later. */
  keyInFlight: 'idempotency_key_in_flight',
} as const;
