import assert from 'node:assert/strict';
import type { HrTime } from '@opentelemetry/api';
import { SimpleSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { PreciseClock, PreciseSpanStart } from '../src/span-start-time.ts';
import { KeepingExporter } from './keeping-exporter.ts';

const ms = (t: HrTime) => t[0] * 1000 + t[1] / 1e6;

/**
 * Clocks the test drives: true time advances 0.2 µs per reading; the wall clock floors it
 * to the millisecond and can be stepped; the monotonic clock can stop (a sleep) or the
 * thread can pause before the next reading.
 */
class FakeTime {
  trueMs = 1_796_000_000_000.4;
  /** Monotonic = true time minus this; a sleep adds to it. */
  monotonicBehind = 1_796_000_000_000;
  /** Added to the wall clock's reading (a step). */
  wallStep = 0;
  private pauseNext = 0;

  readonly monotonic = () => this.read(this.trueMs - this.monotonicBehind);
  readonly wall = () => this.read(Math.floor(this.trueMs + this.wallStep));

  pauseBeforeNextReading(ms: number): void {
    this.pauseNext = ms;
  }

  /** Readings of `clock` over `ms` of true time, the largest error among them. */
  worstErrorOver(clock: PreciseClock, ms: number): number {
    let worst = 0;
    for (const until = this.trueMs + ms; this.trueMs < until; ) {
      const reading = clock.now();
      worst = Math.max(worst, Math.abs(reading - (this.trueMs + this.wallStep)));
    }
    return worst;
  }

  private read<T>(value: T): T {
    this.trueMs += 0.0002 + this.pauseNext;
    this.pauseNext = 0;
    return value;
  }
}

describe('a wall clock to the microsecond', () => {
  it('reads true time to the microsecond from its first reading', () => {
    const time = new FakeTime();
    const clock = new PreciseClock(time.monotonic, time.wall);
    // The first reading waits for a tick of the wall clock, and gives the time it was called.
    const calledAt = time.trueMs;
    assert.ok(Math.abs(clock.now() - calledAt) < 0.002);
    assert.ok(time.worstErrorOver(clock, 5) < 0.002);
  });

  it('is not pushed off by a pause between its readings', () => {
    const time = new FakeTime();
    const clock = new PreciseClock(time.monotonic, time.wall);
    clock.now();
    for (const pause of [0.9, 0.3, 2.5, 0.05]) {
      time.pauseBeforeNextReading(pause);
      assert.ok(time.worstErrorOver(clock, 0.01) < 0.002, `after a ${pause} ms pause`);
    }
  });

  it('follows the wall clock when it moves against the monotonic one: a step either way, a sleep', () => {
    const time = new FakeTime();
    const clock = new PreciseClock(time.monotonic, time.wall);
    clock.now();
    const moves: Array<[string, () => void]> = [
      ['stepped 3 s ahead', () => (time.wallStep += 3_000)],
      ['stepped 3 s back', () => (time.wallStep -= 3_000)],
      ['stepped 0.6 ms back', () => (time.wallStep -= 0.6)],
      ['slept 10 s (the monotonic clock stopped)', () => (time.monotonicBehind += 10_000)],
      ['the monotonic clock 3 s ahead', () => (time.monotonicBehind -= 3_000)],
    ];
    for (const [what, move] of moves) {
      move();
      const first = clock.now();
      const wall = Math.floor(time.trueMs + time.wallStep);
      assert.ok(first >= wall - 0.01 && first < wall + 1.01, `${what}: the next reading is within the wall clock's millisecond`);
      assert.ok(time.worstErrorOver(clock, 3) < 1.01, what);
      assert.ok(time.worstErrorOver(clock, 2) < 0.002, `${what}: to the microsecond again once the wall clock ticked`);
    }
  });
});

/** Starts `count` spans one after another, a fraction of a millisecond apart, noting on the monotonic clock when each call began and returned. */
async function startInTurn(processors: SpanProcessor[], count: number) {
  const exporter = new KeepingExporter();
  const provider = new TracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('span-start-test');
  const startedAt: Array<{ before: number; after: number }> = [];
  for (let i = 0; i < count; i++) {
    const before = performance.now();
    const span = tracer.startSpan(`span ${i}`);
    startedAt.push({ before, after: performance.now() });
    const until = performance.now() + 0.05 + (i % 7) * 0.04;
    while (performance.now() < until);
    span.end();
  }
  await provider.shutdown();
  return { spans: exporter.spans, startedAt };
}

describe('span start times to the microsecond', () => {
  it('the SDK alone starts spans on whole milliseconds (what this corrects)', async () => {
    const { spans } = await startInTurn([], 30);
    assert.equal(spans.length, 30);
    assert.ok(spans.every((s) => s.startTime[1] % 1_000_000 === 0));
  });

  it('starts each span where the monotonic clock saw it, its duration unchanged', async () => {
    const { spans, startedAt } = await startInTurn([new PreciseSpanStart()], 60);
    assert.equal(spans.length, 60);
    const wholeMs = spans.filter((s) => s.startTime[1] % 1_000_000 === 0).length;
    assert.ok(wholeMs < 5, `${wholeMs} of 60 starts on a whole millisecond`);
    let outOfPlace = 0;
    spans.forEach((span, i) => {
      const previous = spans[i - 1];
      const [now, last] = [startedAt[i], startedAt[i - 1]];
      if (!previous || !now || !last) return;
      // Each start falls inside its startSpan call, so the distance between two is bounded;
      // on a loaded machine the anchor may still be settling by a fraction of a millisecond.
      const seen = ms(span.startTime) - ms(previous.startTime);
      if (seen < now.before - last.after - 0.01 || seen > now.after - last.before + 0.01) outOfPlace++;
      assert.ok(
        seen > now.before - last.after - 1 && seen < now.after - last.before + 1,
        `span ${i}: ${seen.toFixed(3)} ms after the last`,
      );
    });
    assert.ok(outOfPlace <= 3, `${outOfPlace} of 59 starts out of place by more than 10 µs`);
    for (const span of spans) {
      assert.ok(Math.abs(ms(span.endTime) - ms(span.startTime) - ms(span.duration)) < 0.001, 'the end moved with the start');
      assert.ok(Math.abs(ms(span.startTime) - Date.now()) < 1_000, 'a wall-clock time');
    }
  });

  it('keeps a start time the caller chose', async () => {
    const exporter = new KeepingExporter();
    const provider = new TracerProvider({ spanProcessors: [new PreciseSpanStart(), new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('span-start-test');
    const chosen = new Date('2020-01-02T03:04:05.006Z');
    tracer.startSpan('back-dated', { startTime: chosen }).end(new Date('2020-01-02T03:04:06Z'));
    const precise: HrTime = [Math.floor(Date.now() / 1000), 123_456_789];
    tracer.startSpan('given precisely', { startTime: precise }).end();
    const wholeMs: HrTime = [Math.floor(Date.now() / 1000), 0];
    tracer.startSpan('given on a whole second', { startTime: wholeMs }).end();
    // The SDK ends a span whose start was given at Date.now(): a moved start could pass it.
    const givenNow = Date.now();
    for (let i = 0; i < 20; i++) tracer.startSpan('given now', { startTime: givenNow }).end();
    await provider.shutdown();
    const [backDated, givenPrecisely, givenWhole, ...givenNowSpans] = exporter.spans.map((span) => span.startTime);
    assert.equal(givenNowSpans.length, 20);
    assert.equal(backDated && ms(backDated), chosen.getTime());
    assert.deepEqual(givenPrecisely, precise);
    assert.deepEqual(givenWhole, [wholeMs[0], 0]);
    for (const span of exporter.spans.slice(3)) {
      assert.equal(ms(span.startTime), givenNow);
      assert.ok(ms(span.endTime) >= ms(span.startTime), 'ends after it starts');
    }
  });
});
