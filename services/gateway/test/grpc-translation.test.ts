import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import { linksErrors } from '@meshmart/contracts/links';
import { ERROR_CODE_TRAILER, problemFromGrpc } from '@meshmart/kit';
import { ErrorCorrection, ImageFormat } from '@meshmart/proto/qr/v1/qr';
import { linkBody, redirectProblem } from '../src/links.ts';
import { batchEvent, protoOptions } from '../src/qr.ts';
import { formatEvent, HEARTBEAT } from '../src/sse.ts';

const grpcError = (code: status, details = 'why', errorCode?: string) => {
  const error = Object.assign(new Error(details), { code, details });
  if (errorCode === undefined) return error;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, errorCode);
  return Object.assign(error, { metadata });
};

describe('gRPC status to HTTP', () => {
  it('maps what links and qr answer to the statuses a client expects', () => {
    const cases: Array<[status, number]> = [
      [status.INVALID_ARGUMENT, 400],
      [status.NOT_FOUND, 404],
      [status.ALREADY_EXISTS, 409],
      [status.FAILED_PRECONDITION, 409],
      [status.RESOURCE_EXHAUSTED, 429],
      [status.UNAVAILABLE, 503],
      [status.DEADLINE_EXCEEDED, 504],
      [status.INTERNAL, 502],
    ];
    for (const [code, http] of cases) assert.equal(problemFromGrpc(grpcError(code), 'links').status, http, status[code]);
  });

  it('answers an expired or deleted short link 410 Gone saying which, by its error code', () => {
    const expired = redirectProblem(grpcError(status.FAILED_PRECONDITION, 'gone', linksErrors.linkExpired));
    assert.equal(expired.status, 410);
    assert.equal(expired.code, linksErrors.linkExpired);
    assert.match(expired.detail ?? '', /expired/);
    const deleted = redirectProblem(grpcError(status.FAILED_PRECONDITION, 'gone', linksErrors.linkDeleted));
    assert.equal(deleted.status, 410);
    assert.equal(deleted.code, linksErrors.linkDeleted);
    assert.match(deleted.detail ?? '', /deleted/);
  });

  it('does not read which from the words of the status', () => {
    const worded = redirectProblem(grpcError(status.FAILED_PRECONDITION, 'expired'));
    assert.equal(worded.status, 410);
    assert.equal(worded.code, 'gone');
    assert.doesNotMatch(worded.detail ?? '', /expired/);
  });

  it('answers an unknown short link 404, and other failures as gRPC maps them', () => {
    assert.equal(redirectProblem(grpcError(status.NOT_FOUND)).status, 404);
    assert.equal(redirectProblem(grpcError(status.UNAVAILABLE)).status, 503);
    assert.equal(redirectProblem(new Error('not a gRPC error')).status, 500);
  });
});

describe('link bodies', () => {
  it('hand out the short URL under the public base URL, and null for no expiry', () => {
    const body = linkBody(
      {
        code: 'Sale_1',
        targetUrl: 'https://shop.example/',
        ownerId: 'u',
        createdAt: '2026-11-21T10:00:00Z',
        totalClicks: 0,
        customAlias: false,
      },
      'https://mesh.example',
    );
    assert.equal(body.shortUrl, 'https://mesh.example/s/Sale_1');
    assert.equal(body.expiresAt, null);
    assert.equal('ownerId' in body, false);
  });
});

describe('QR options and batch events', () => {
  it('maps REST option names onto the proto enums, leaving unset options unset', () => {
    assert.deepEqual(protoOptions({ format: 'svg', errorCorrection: 'Q', size: 300, darkColor: '#000000' }), {
      format: ImageFormat.IMAGE_FORMAT_SVG,
      errorCorrection: ErrorCorrection.ERROR_CORRECTION_Q,
      size: 300,
      margin: undefined,
      darkColor: '#000000',
      lightColor: undefined,
    });
    const unset = protoOptions({});
    assert.equal(unset.format, ImageFormat.IMAGE_FORMAT_UNSPECIFIED);
    assert.equal(unset.errorCorrection, ErrorCorrection.ERROR_CORRECTION_UNSPECIFIED);
    assert.equal(protoOptions({ format: 'png', errorCorrection: 'L' }).format, ImageFormat.IMAGE_FORMAT_PNG);
    assert.equal(protoOptions({ errorCorrection: 'H' }).errorCorrection, ErrorCorrection.ERROR_CORRECTION_H);
  });

  it('turns progress and summary messages into their events', () => {
    const qr = { id: 'q1' } as never;
    assert.deepEqual(
      batchEvent({ event: { $case: 'progress', value: { index: 0, total: 2, ok: true, qr, cached: true, error: '' } } }),
      {
        event: 'progress',
        data: { index: 0, total: 2, ok: true, id: 'q1', cached: true },
      },
    );
    assert.deepEqual(
      batchEvent({
        event: { $case: 'progress', value: { index: 1, total: 2, ok: false, qr: undefined, cached: false, error: 'too long' } },
      }),
      { event: 'progress', data: { index: 1, total: 2, ok: false, error: 'too long' } },
    );
    assert.deepEqual(
      batchEvent({ event: { $case: 'summary', value: { total: 2, succeeded: 1, failed: 1, cached: 1, durationMs: 5 } } }),
      { event: 'summary', data: { total: 2, succeeded: 1, failed: 1, cached: 1, durationMs: 5 } },
    );
    assert.equal(batchEvent({ event: undefined }), undefined);
  });
});

describe('server-sent event format', () => {
  it('writes the event name and its JSON data, ended by a blank line', () => {
    assert.equal(formatEvent('clicks', { totalClicks: 2 }), 'event: clicks\ndata: {"totalClicks":2}\n\n');
  });

  it('keeps data with line breaks on one data line', () => {
    const text = formatEvent('error', { detail: 'line one\nline two\r\n' });
    assert.equal(text.split('\n').length, 4);
    assert.deepEqual(JSON.parse(text.split('\n')[1]?.slice('data: '.length) ?? ''), { detail: 'line one\nline two\r\n' });
  });

  it('pings with a comment line', () => {
    assert.equal(HEARTBEAT, ': ping\n\n');
  });
});
