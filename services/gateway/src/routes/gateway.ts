/** What the gateway answers itself: traces for the admin's waterfall, this document, probes and metrics. */

import { traceId, traceView } from '@meshmart/contracts/traces';
import { z } from 'zod';
import { DOCS_FILES } from '../docs.ts';
import type { CalleeApi } from '../routes.ts';

const docsFileParams = z.strictObject({ file: z.enum(DOCS_FILES) });
const traceIdParams = z.strictObject({ traceId });
const adminTag = 'admin';

export const gatewayApi: CalleeApi = {
  requests: {},
  responses: { TraceView: traceView },
  routes: [
    {
      method: 'GET',
      path: '/api/admin/traces/:traceId',
      summary: 'The spans of one trace, for a waterfall (admin role); every response names its trace in `x-trace-id`',
      tag: adminTag,
      access: 'admin',
      limit: 'api',
      params: traceIdParams,
      success: { status: 200, description: 'The trace, ordered by start', schema: traceView },
      errors: [404],
      target: { kind: 'traces' },
    },
    {
      method: 'GET',
      path: '/api/openapi.json',
      summary: 'This document',
      tag: 'meta',
      access: 'public',
      limit: 'api',
      success: { status: 200, description: 'OpenAPI 3.1 document', contentType: 'application/json' },
      errors: [],
      target: { kind: 'openapi' },
    },
    {
      method: 'GET',
      path: '/api/docs',
      summary: 'This document, to read and try in a browser',
      tag: 'meta',
      access: 'public',
      limit: 'api',
      success: { status: 200, description: 'An HTML page', contentType: 'text/html' },
      errors: [],
      target: { kind: 'docs' },
    },
    {
      method: 'GET',
      path: '/api/docs/:file',
      summary: 'A stylesheet, script or icon of the documentation page',
      tag: 'meta',
      access: 'public',
      limit: 'api',
      params: docsFileParams,
      notFoundOnBadParams: true,
      success: { status: 200, description: 'The file', contentType: ['text/css', 'text/javascript', 'image/png'] },
      errors: [],
      target: { kind: 'docs' },
    },
    {
      method: 'GET',
      path: '/healthz',
      summary: 'Liveness: the process answers',
      tag: 'meta',
      access: 'public',
      success: { status: 200, description: 'Alive', contentType: 'application/json' },
      errors: [],
      target: { kind: 'kit' },
    },
    {
      method: 'GET',
      path: '/readyz',
      summary: "Readiness: the gateway's Dapr sidecar serves outbound calls",
      tag: 'meta',
      access: 'public',
      success: { status: 200, description: 'Ready (503 with the failing checks otherwise)', contentType: 'application/json' },
      errors: [],
      target: { kind: 'kit' },
    },
    {
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'meta',
      access: 'public',
      success: { status: 200, description: 'Prometheus text exposition format', contentType: 'text/plain' },
      errors: [],
      target: { kind: 'kit' },
    },
  ],
};
