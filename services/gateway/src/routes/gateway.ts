/** What the gateway answers itself: traces for the admin's waterfall, this document, probes and metrics. */

import { traceId, traceView } from '@meshmart/contracts/traces';
import { z } from 'zod';
import { DOCS_FILES } from '../docs.ts';
import type { RouteTarget } from '../routes.ts';
import { calleeApi, type RouteEntry } from './callee.ts';

const docsFileParams = z.strictObject({ file: z.enum(DOCS_FILES) });
const traceIdParams = z.strictObject({ traceId });
const docsFileTypes = ['text/css', 'text/javascript', 'image/png'];

/** A public GET about the API or the process, answered 200 with a fixed content type. */
const meta = (
  path: string,
  summary: string,
  target: RouteTarget,
  description: string,
  contentType: string | readonly string[],
): RouteEntry => ({ method: 'GET', path, summary, access: 'public', success: { status: 200, description, contentType }, target });

export const gatewayApi = calleeApi({
  tag: 'meta',
  responses: { TraceView: traceView },
  routes: [
    {
      method: 'GET',
      path: '/api/admin/traces/:traceId',
      summary: 'The spans of one trace, for a waterfall (admin role); every response names its trace in `x-trace-id`',
      tag: 'admin',
      access: 'admin',
      params: traceIdParams,
      success: { status: 200, description: 'The trace, ordered by start', schema: traceView },
      errors: [404],
      target: { kind: 'traces' },
    },
    meta('/api/openapi.json', 'This document', { kind: 'openapi' }, 'OpenAPI 3.1 document', 'application/json'),
    meta('/api/docs', 'This document, to read and try in a browser', { kind: 'docs' }, 'An HTML page', 'text/html'),
    {
      ...meta(
        '/api/docs/:file',
        'A stylesheet, script or icon of the documentation page',
        { kind: 'docs' },
        'The file',
        docsFileTypes,
      ),
      params: docsFileParams,
      notFoundOnBadParams: true,
    },
    meta('/healthz', 'Liveness: the process answers', { kind: 'kit' }, 'Alive', 'application/json'),
    meta(
      '/readyz',
      "Readiness: the gateway's Dapr sidecar serves outbound calls",
      { kind: 'kit' },
      'Ready (503 with the failing checks otherwise)',
      'application/json',
    ),
    meta('/metrics', 'Prometheus metrics', { kind: 'kit' }, 'Prometheus text exposition format', 'text/plain'),
  ],
});
