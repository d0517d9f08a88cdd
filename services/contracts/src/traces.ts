/** The gateway's own admin API for one trace's waterfall, read from the Jaeger query API. */
import { z } from 'zod';

export const traceId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits');

/** GET /api/admin/traces/:traceId */
export const traceView = z.object({
  traceId: z.string(),
  jaegerUiUrl: z.string().nullable().describe("the trace in Jaeger's own UI, where one is deployed"),
  services: z.array(z.string()),
  durationMs: z.number(),
  spans: z
    .array(
      z.object({
        id: z.string(),
        parentId: z.string().nullable(),
        service: z.string().describe('service.name: the app, or its Dapr sidecar under the same app id'),
        name: z.string(),
        layer: z.enum(['app', 'http', 'daprd', 'grpc', 'pubsub', 'db']),
        kind: z.string().describe('server, client, producer, consumer or internal'),
        startMs: z.number().describe("from the trace's first span"),
        durationMs: z.number(),
        error: z.string().nullable(),
        detail: z.string().describe('statement, topic, route or target'),
      }),
    )
    .describe('depth first: each span under its parent, siblings by start'),
});
export type TraceView = z.infer<typeof traceView>;

export type TraceSpan = TraceView['spans'][number];
