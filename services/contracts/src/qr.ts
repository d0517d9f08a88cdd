/** The REST face of qr, served by the gateway over qr's gRPC API. Bounds follow proto/meshmart/qr/v1/qr.proto. */
import { z } from 'zod';

export const QR_BATCH_MAX = 500;

const colour = z
  .string()
  .regex(/^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$/, 'must be #rrggbb or #rrggbbaa')
  .optional();

const qrOptionFields = {
  format: z.enum(['png', 'svg']).optional().describe('default png'),
  size: z.number().int().min(64).max(2048).optional().describe('pixels; default 256'),
  errorCorrection: z.enum(['L', 'M', 'Q', 'H']).optional().describe('default M'),
  margin: z.number().int().min(0).max(16).optional().describe('quiet zone in modules; default 4'),
  darkColor: colour,
  lightColor: colour,
};

/** qr counts characters as code points, as people do; a string has at most two units per point. */
const qrContent = z
  .string()
  .min(1)
  .max(4096)
  .refine((v) => [...v].length <= 2048, 'must be at most 2048 characters')
  .describe('text or URL to encode, at most 2048 characters');

export const qrOptions = z.strictObject(qrOptionFields);

/** POST /api/qr */
export const qrRequest = z.strictObject({ content: qrContent, ...qrOptionFields });
export type QrRequest = z.infer<typeof qrRequest>;

/** POST /api/qr/batch */
export const qrBatchRequest = z.strictObject({
  items: z
    .array(qrRequest)
    .min(1)
    .max(QR_BATCH_MAX, `at most ${QR_BATCH_MAX} items`)
    .describe('each item may override the batch options'),
  options: qrOptions.optional(),
});
export type QrBatchRequest = z.infer<typeof qrBatchRequest>;

export const qrIdParam = z.uuid();

/** Data of the batch stream's `progress` events, one per item in order. */
export const qrProgressEvent = z.object({
  index: z.number().int(),
  total: z.number().int(),
  ok: z.boolean(),
  id: z.uuid().optional().describe('when ok: GET /api/qr/{id} serves the image'),
  cached: z.boolean().optional(),
  error: z.string().optional().describe('when not ok: why this item failed'),
});
export type QrProgressEvent = z.infer<typeof qrProgressEvent>;

/** Data of the batch stream's last event, `summary`. */
export const qrSummaryEvent = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cached: z.number().int(),
  durationMs: z.number().int(),
});
export type QrSummaryEvent = z.infer<typeof qrSummaryEvent>;
