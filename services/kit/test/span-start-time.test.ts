import assert from 'node:assert/strict';
import type { HrTime } from '@opentelemetry/api';
import { SimpleSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { PreciseSpanStart, preciseNow, shiftAnchorForTest } from '../src/span-start-time.ts';
import { KeepingExporter } from './keeping-exporter.ts';

const ms = (t: HrTime) => t[0] * 1000 + t[1] / 1e6;

function spinFor(millis: number): void {
  const until = performance.now() + millis;
  while (performance.now() < until);
}

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
    spinFor(0.05 + (i % 7) * 0.04);
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
    // Steady state: readings across a few ticks of Date.now() have settled the anchor,
    // whatever the load was when the module took it.
    const settled = performance.now() + 3;
    while (performance.now() < settled) preciseNow();
    const { spans, startedAt } = await startInTurn([new PreciseSpanStart()], 60);
    assert.equal(spans.length, 60);
    const wholeMs = spans.filter((s) => s.startTime[1] % 1_000_000 === 0).length;
    assert.ok(wholeMs < 5, `${wholeMs} of 60 starts on a whole millisecond`);
    for (let i = 1; i < spans.length; i++) {
      const seen = ms(spans[i]!.startTime) - ms(spans[i - 1]!.startTime);
      // Each start falls inside its startSpan call, so the distance between two is bounded.
      const [now, last] = [startedAt[i]!, startedAt[i - 1]!];
      const [least, most] = [now.before - last.after - 0.01, now.after - last.before + 0.01];
      assert.ok(
        seen >= least && seen <= most,
        `span ${i} starts ${seen.toFixed(3)} ms after the last, not within ${least.toFixed(3)}–${most.toFixed(3)}`,
      );
    }
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
    await provider.shutdown();
    assert.equal(ms(exporter.spans[0]!.startTime), chosen.getTime());
    assert.deepEqual(exporter.spans[1]!.startTime, precise);
  });

  it('follows the wall clock when it moves against the monotonic one (a sleep, a step)', () => {
    for (const shift of [3_000, -3_000, 2]) {
      shiftAnchorForTest(shift);
      const now = preciseNow();
      const wall = Date.now();
      assert.ok(now >= wall - 0.5 && now < wall + 1.5, `${shift} ms off: ${now} against Date.now() ${wall}`);
    }
  });
});
