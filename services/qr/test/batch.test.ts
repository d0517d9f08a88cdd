import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import type { BatchItem, GenerateQRBatchRequest, GenerateQRBatchResponse } from '@meshmart/proto/qr/v1/qr';
import { runBatch } from '../src/batch.ts';
import type { Generated, GenerateRequest, QrCodes } from '../src/codes.ts';

/** Codes made after a random delay, counting how many are in flight at once. */
class FakeCodes {
  inFlight = 0;
  maxInFlight = 0;
  started = 0;
  failWith: unknown;

  async generate(request: GenerateRequest): Promise<Generated> {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      if (this.failWith && request.content.endsWith('boom')) throw this.failWith;
      return {
        record: {
          id: `id-${request.content}`,
          ownerId: request.ownerId,
          content: request.content,
          ...request.options,
          cacheKey: 'k',
          blobName: 'b',
          byteLength: 1,
          createdAt: new Date(0).toISOString(),
        },
        image: Buffer.from('x'),
        cached: request.content.startsWith('again'),
      };
    } finally {
      this.inFlight--;
    }
  }
}

/** A server stream whose reader is slow: every third write fills the buffer until a later 'drain'. */
class FakeCall extends EventEmitter {
  written: GenerateQRBatchResponse[] = [];
  cancelled = false;
  pendingDrain = false;
  writesWhileFull = 0;

  constructor(readonly request: GenerateQRBatchRequest) {
    super();
  }

  write(message: GenerateQRBatchResponse): boolean {
    if (this.pendingDrain) this.writesWhileFull++;
    this.written.push(message);
    if (this.written.length % 3 !== 0) return true;
    this.pendingDrain = true;
    setTimeout(() => {
      this.pendingDrain = false;
      this.emit('drain');
    }, 2);
    return false;
  }
}

const items = (contents: string[]): BatchItem[] => contents.map((content) => ({ content, options: undefined }));
const request = (list: BatchItem[]): GenerateQRBatchRequest => ({ items: list, options: undefined, ownerId: 'owner-1' });

function start(call: FakeCall, codes: FakeCodes, concurrency = 3): Promise<void> {
  return runBatch(call as never, codes as unknown as QrCodes, concurrency);
}

describe('qr batch runner', () => {
  it('writes one progress per item in request order, then the summary, never more than N at once', async () => {
    const contents = Array.from({ length: 60 }, (_, i) => (i % 10 === 9 ? `again-${i}` : `item-${i}`));
    contents[7] = '';
    const call = new FakeCall(request(items(contents)));
    const codes = new FakeCodes();
    await start(call, codes, 3);

    assert.equal(call.written.length, 61);
    const progress = call.written.slice(0, 60).map((m) => (m.event?.$case === 'progress' ? m.event.value : undefined));
    assert.deepEqual(
      progress.map((p) => p?.index),
      contents.map((_, i) => i),
    );
    assert.equal(progress[7]?.ok, false);
    assert.match(progress[7]?.error ?? '', /items\[7\]\.content must not be empty/);
    assert.equal(progress[8]?.qr?.id, 'id-item-8');
    const summary = call.written[60]?.event;
    assert.equal(summary?.$case, 'summary');
    if (summary?.$case === 'summary') {
      assert.deepEqual({ ...summary.value, durationMs: 0 }, { total: 60, succeeded: 59, failed: 1, cached: 6, durationMs: 0 });
    }
    assert.equal(codes.maxInFlight, 3);
    assert.equal(call.writesWhileFull, 0, 'nothing is written while the stream asks to wait');
  });

  it('refuses a batch over 500 items, an empty one or bad batch options before writing anything', async () => {
    for (const list of [items(Array.from({ length: 501 }, (_, i) => `c${i}`)), []]) {
      const call = new FakeCall(request(list));
      await assert.rejects(start(call, new FakeCodes()), (err: unknown) => {
        return err instanceof GrpcError && err.code === status.INVALID_ARGUMENT && /items/.test(err.message);
      });
      assert.equal(call.written.length, 0);
    }
    const badOptions = new FakeCall({ ...request(items(['a'])), options: { format: 0, errorCorrection: 0, size: 5 } });
    await assert.rejects(start(badOptions, new FakeCodes()), /options\.size/);
    assert.equal(badOptions.written.length, 0);
  });

  it('stops starting items once the caller cancels', async () => {
    const call = new FakeCall(request(items(Array.from({ length: 400 }, (_, i) => `c${i}`))));
    const codes = new FakeCodes();
    const write = call.write.bind(call);
    call.write = (message) => {
      const more = write(message);
      if (call.written.length === 10) {
        call.cancelled = true;
        call.emit('cancelled');
      }
      return more;
    };
    await start(call, codes, 4);
    assert.equal(call.written.length, 10, 'nothing after the cancel, no summary');
    assert.ok(codes.started <= 14, `${codes.started} items were started`);
  });

  it('ends the stream with the error when the service itself fails, after the items before it', async () => {
    const call = new FakeCall(request(items(['a', 'b', 'boom', 'c', 'd'])));
    const codes = new FakeCodes();
    codes.failWith = new GrpcError(status.UNAVAILABLE, 'the image store could not store the image');
    await assert.rejects(start(call, codes, 2), /image store/);
    assert.deepEqual(
      call.written.map((m) => (m.event?.$case === 'progress' ? m.event.value.index : 'summary')),
      [0, 1],
    );
  });
});
