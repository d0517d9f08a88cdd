/**
 * GenerateQRBatch: the whole request is checked first (size limit, owner, the batch's own
 * options), then items run a few at a time and their progress is written strictly in
 * order, then one summary. A bad item fails alone; a failure of the service itself
 * (database, image store) ends the stream with its status. Work stops when the caller
 * cancels, and waits while the caller reads slower than codes are made.
 */
import { type ServerWritableStream, status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import type { GenerateQRBatchRequest, GenerateQRBatchResponse } from '@meshmart/proto/qr/v1/qr';
import type { Generated, QrCodes } from './codes.ts';
import { batchItems } from './metrics.ts';
import { checkContent, checkOwner, LIMITS, mergeOptions, normalizeOptions } from './options.ts';
import { toProtoCode } from './proto.ts';

type BatchCall = ServerWritableStream<GenerateQRBatchRequest, GenerateQRBatchResponse>;

type Outcome = { ok: true; value: Generated } | { ok: false; error: string } | { fatal: unknown };

/** Resolves once the stream can take more, or the call is over either way. */
function write(call: BatchCall, message: GenerateQRBatchResponse): Promise<void> {
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve) => {
    const events = ['drain', 'cancelled', 'close', 'error'] as const;
    const done = () => {
      for (const e of events) call.off(e, done);
      resolve();
    };
    for (const e of events) call.on(e, done);
  });
}

export async function runBatch(call: BatchCall, codes: QrCodes, concurrency: number): Promise<void> {
  const started = Date.now();
  const { items, options, ownerId } = call.request;
  if (items.length === 0) throw new GrpcError(status.INVALID_ARGUMENT, 'items must hold at least one item');
  if (items.length > LIMITS.batchMaxItems) {
    throw new GrpcError(
      status.INVALID_ARGUMENT,
      `items holds ${items.length} items; a batch may hold at most ${LIMITS.batchMaxItems}`,
    );
  }
  checkOwner(ownerId);
  normalizeOptions(options, 'options', { checkContrast: false });

  const total = items.length;
  const run = async (index: number): Promise<Outcome> => {
    const item = items[index];
    try {
      if (!item) throw new Error(`no item ${index}`);
      const content = checkContent(item.content, `items[${index}].content`);
      const normalized = normalizeOptions(mergeOptions(options, item.options), `items[${index}].options`);
      return { ok: true, value: await codes.generate({ content, options: normalized, ownerId, batch: true }) };
    } catch (err) {
      if (err instanceof GrpcError && err.code === status.INVALID_ARGUMENT) return { ok: false, error: err.message };
      return { fatal: err };
    }
  };

  const summary = { total, succeeded: 0, failed: 0, cached: 0 };
  const emit = async (index: number, outcome: Outcome): Promise<void> => {
    if ('fatal' in outcome) throw outcome.fatal;
    if (call.cancelled) return;
    if (outcome.ok) {
      summary.succeeded++;
      if (outcome.value.cached) summary.cached++;
      batchItems.inc({ outcome: outcome.value.cached ? 'cached' : 'generated' });
    } else {
      summary.failed++;
      batchItems.inc({ outcome: 'failed' });
    }
    await write(call, {
      event: {
        $case: 'progress',
        value: {
          index,
          total,
          ok: outcome.ok,
          qr: outcome.ok ? toProtoCode(outcome.value.record) : undefined,
          cached: outcome.ok && outcome.value.cached,
          error: outcome.ok ? '' : outcome.error,
        },
      },
    });
  };

  // Items start in order and at most `concurrency` are in flight; the oldest is always
  // written next, so progress stays in order and a slow reader holds back new work.
  const inFlight: Array<Promise<Outcome>> = [];
  let emitted = 0;
  for (let index = 0; index < total && !call.cancelled; index++) {
    inFlight.push(run(index));
    if (inFlight.length >= concurrency) await emit(emitted++, await (inFlight.shift() as Promise<Outcome>));
  }
  while (inFlight.length > 0 && !call.cancelled) await emit(emitted++, await (inFlight.shift() as Promise<Outcome>));
  if (call.cancelled) return;

  await write(call, { event: { $case: 'summary', value: { ...summary, durationMs: Date.now() - started } } });
}
