/**
 * Span start times to the microsecond. The OpenTelemetry SDK starts a span at `Date.now()`,
 * a whole millisecond, and measures its duration on the monotonic clock: a span's length
 * is exact but its start is up to 1 ms early. On a request of a few milliseconds that
 * misplaces the app's spans in a trace against the sidecar's (Go, nanoseconds): a handler
 * seemed to start before daprd called it, and the gaps between siblings read as 0 or 1 ms.
 *
 * The wall clock's sub-millisecond part comes from the monotonic clock, anchored at a tick
 * of `Date.now()` and checked against it at every span, so a start is never further from
 * the SDK's own than the millisecond it refines.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * Milliseconds of wall time at `performance.now() === 0`, read as `Date.now()` ticks over.
 * The tick fell between the last call that returned the old value and the first that
 * returned the new one, so between a monotonic reading before the one and after the
 * other; when those are more than 10 µs apart (the thread was preempted), the next tick.
 */
function anchorAtTick(): number {
  let beforeLast = performance.now();
  let last = Date.now();
  for (let ticks = 0; ; ) {
    const before = performance.now();
    const wall = Date.now();
    const after = performance.now();
    if (wall !== last) {
      if (after - beforeLast < 0.01 || ++ticks >= 5) return wall - (beforeLast + after) / 2;
      last = wall;
    }
    beforeLast = before;
  }
}

let anchor = anchorAtTick();

/**
 * Wall time in milliseconds with a fractional part. `Date.now()` floors, so the true time
 * is in [wall, wall + 1): a precise time outside it means the monotonic clock and the wall
 * clock moved apart (the machine slept, the clock was stepped or slewed), and the anchor
 * moves just enough to bring it back in. Later readings refine it.
 */
export function preciseNow(): number {
  const monotonic = performance.now();
  const precise = anchor + monotonic;
  const wall = Date.now();
  if (precise < wall) anchor = wall - monotonic;
  else if (precise >= wall + 1) anchor = wall + 0.999 - monotonic;
  return anchor + monotonic;
}

/** Re-anchor on the next call as if the clock had moved (tests). */
export function shiftAnchorForTest(ms: number): void {
  anchor += ms;
}

/**
 * First of the span processors: replaces a start the SDK took from `Date.now()` with the
 * precise one. The SDK ends a span at its start plus the monotonic time since, read when
 * the span ends, so the end moves with the start and the duration stays as measured. A
 * start the caller chose is kept: only a whole millisecond close to now is the SDK's.
 */
export class PreciseSpanStart implements SpanProcessor {
  onStart(span: Span, _parentContext: Context): void {
    const start = span.startTime;
    if (start[1] % 1_000_000 !== 0) return;
    const now = preciseNow();
    const startMs = start[0] * 1000 + start[1] / 1_000_000;
    if (now - startMs >= 2) return;
    // HrTime is a mutable pair; the span keeps this array and the SDK reads it at end().
    start[0] = Math.floor(now / 1000);
    start[1] = Math.round((now % 1000) * 1_000_000);
    if (start[1] >= 1_000_000_000) {
      start[0] += 1;
      start[1] -= 1_000_000_000;
    }
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
