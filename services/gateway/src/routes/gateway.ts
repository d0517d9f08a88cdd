/** What the gateway answers itself: traces for the admin's waterfall, this document, probes and metrics. */

import { traceId, traceView } from '@meshmart/contracts/traces';
import { z } from 'zod';
import type { CalleeApi } from '../routes.ts';

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
