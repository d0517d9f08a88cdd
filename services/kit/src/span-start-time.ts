/**
 * Span start times to the microsecond. The OpenTelemetry SDK starts a span at `Date.now()`,
 * a whole millisecond, and measures its duration on the monotonic clock: a span's length
 * is exact but its start is up to 1 ms early. On a request of a few milliseconds that
 * misplaces the app's spans in a trace against the sidecar's (Go, nanoseconds): a gRPC
 * client seemed to finish before its sidecar had answered, and the gaps between spans
 * read as 0 or 1 ms.
 *
 * The wall clock's sub-millisecond part comes from the monotonic clock, anchored at a tick
 * of `Date.now()` and held to it at every span, so a corrected start stays inside the
 * millisecond the SDK read (give or take the microseconds between its reading and ours).
 */
import type { Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds, millisToHrTime } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * Wall time in milliseconds with a fractional part: the monotonic clock, anchored to the
 * wall clock. `Date.now()` read between two monotonic readings floors a time between
 * them, so the anchor is at least `wall - after` and less than `wall + 1 - before`; each
 * reading moves it the least that puts it back inside (the clocks moved apart: the machine
 * slept, the wall clock was stepped or slewed). A pause between the readings only
 * loosens the bounds, so it can never push the anchor wrong.
 */
export class PreciseClock {
  /** Milliseconds of wall time at monotonic 0; taken at the first reading, so a process that traces nothing never spins for it. */
  private anchor: number | undefined;

  constructor(
    private readonly monotonic: () => number = () => performance.now(),
    private readonly wall: () => number = Date.now,
  ) {}

  now(): number {
    const before = this.monotonic();
    const wall = this.wall();
    const after = this.monotonic();
    let anchor = this.anchor ?? this.anchorAtTick();
    if (anchor < wall - after) anchor = wall - after;
    else if (anchor >= wall + 1 - before) anchor = wall + 0.999 - before;
    this.anchor = anchor;
    return anchor + after;
  }

  /**
   * The anchor read as the wall clock ticks over: the tick fell between the last reading of
   * the old value and the first of the new one, so between a monotonic reading before the
   * one and after the other; when those are more than 10 µs apart (the thread was
   * preempted), the next tick, up to five.
   */
  private anchorAtTick(): number {
    let beforeLast = this.monotonic();
    let last = this.wall();
    for (let ticks = 0; ; ) {
      const before = this.monotonic();
      const wall = this.wall();
      const after = this.monotonic();
      if (wall !== last) {
        if (after - beforeLast < 0.01 || ++ticks >= 5) return wall - (beforeLast + after) / 2;
        last = wall;
      }
      beforeLast = before;
    }
  }
}

/** The SDK's own note of whether the caller chose the start (private: pinned by the kit's tests). */
const startChosenByCaller = (span: Span) => (span as unknown as { _startTimeProvided?: unknown })._startTimeProvided;

/**
 * First of the span processors: replaces a start the SDK took from `Date.now()` with the
 * precise one. The SDK ends such a span at its start plus the monotonic time since, read
 * when the span ends, so the end moves with the start and the duration stays as measured.
 * A start the caller chose is kept (the SDK then ends the span at `Date.now()`, which a
 * moved start could pass). A caller that ends a span at a time of its own within a
 * millisecond of an SDK-chosen start could see the start pass the end; neither the kit
 * nor the instrumentations it loads end spans that way.
 */
export class PreciseSpanStart implements SpanProcessor {
  constructor(private readonly clock = new PreciseClock()) {}

  onStart(span: Span, _parentContext: Context): void {
    if (startChosenByCaller(span) !== false) return;
    const start = span.startTime;
    const now = this.clock.now();
    // More than a millisecond past the SDK's reading, the thread was preempted in between:
    // the SDK's start is then the nearer one.
    const lag = now - hrTimeToMilliseconds(start);
    if (lag < 0 || lag >= 2) return;
    // HrTime is a mutable pair; the span keeps this array and the SDK reads it at end().
    [start[0], start[1]] = millisToHrTime(now);
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
