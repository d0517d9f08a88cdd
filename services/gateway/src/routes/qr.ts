/** QR codes, answered by the gateway over qr's gRPC API (qr.ts). */
import { qrBatchRequest, qrIdParam, qrProgressEvent, qrRequest, qrSummaryEvent } from '@meshmart/contracts/qr';
import { z } from 'zod';
import type { QrOperation, RouteTarget } from '../routes.ts';
import { calleeApi } from './callee.ts';

const qrIdParams = z.strictObject({ id: qrIdParam });
const qrImageTypes = ['image/png', 'image/svg+xml'];
const qr = (operation: QrOperation): RouteTarget => ({ kind: 'qr', operation });

export const qrApi = calleeApi({
  tag: 'qr',
  requests: { QrRequest: qrRequest, QrBatchRequest: qrBatchRequest },
  routes: [
    {
      method: 'POST',
      path: '/api/qr',
      summary: 'Generate a QR code (identical requests are served from the cache)',
      access: 'user',
      body: qrRequest,
      success: {
        status: 201,
        description: 'The image',
        contentType: qrImageTypes,
        headers: {
          location: '`/api/qr/{id}`, where the image stays available',
          'x-qr-id': 'id of the code',
          'x-qr-cache': '`hit` when served from the cache, `miss` when rendered',
        },
      },
      target: qr('generate'),
    },
    {
      method: 'GET',
      path: '/api/qr/:id',
      summary: 'A QR code generated earlier',
      access: 'public',
      params: qrIdParams,
      notFoundOnBadParams: true,
      success: {
        status: 200,
        description: 'The image; it never changes, so it may be cached for good',
        contentType: qrImageTypes,
        headers: { etag: 'the same for every answer for one id' },
        alternatives: [{ status: 304, description: 'Not modified (If-None-Match)' }],
      },
      errors: [404],
      target: qr('get'),
    },
    {
      method: 'POST',
      path: '/api/qr/batch',
      summary: 'Generate up to 500 QR codes, with progress as server-sent events',
      access: 'user',
      body: qrBatchRequest,
      bodyLimit: 'batch',
      success: {
        status: 200,
        description:
          '`event: progress` per item in order, then `event: summary`; `event: error` with a problem if the ' +
          'stream fails midway. A batch refused up front is a 400 problem, not a stream.',
        contentType: 'text/event-stream',
        schema: z.union([qrProgressEvent, qrSummaryEvent]),
      },
      target: qr('batch'),
    },
  ],
});
