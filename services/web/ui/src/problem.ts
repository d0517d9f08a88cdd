/** What a failed call tells the user: the problem+json `detail` and any field errors. */
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly fields: FieldError[] = [],
    readonly traceId: string | null = null,
  ) {
    super(detail);
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.fields.map((f) => `${f.field}: ${f.message}`).join('; ');
    return fields ? `${err.detail} (${fields})` : err.detail;
  }
  return err instanceof Error ? err.message : String(err);
}
