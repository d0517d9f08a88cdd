import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../src/logging.ts';
import { type Loop, startLoop } from '../src/loop.ts';
import { registry } from '../src/metrics.ts';

/** Only the warnings the loop writes matter here. */
function warnings() {
  const lines: Array<{ message: string; meta: Record<string, unknown> }> = [];
  const logger = { warn: (message: string, meta: Record<string, unknown>) => lines.push({ message, meta }) } as unknown as Logger;
  return { logger, lines };
}

async function passesCounted(loop: string, outcome: 'ok' | 'failed'): Promise<number> {
  const metric = (await registry.getSingleMetric('background_loop_passes_total')?.get()) ?? { values: [] };
  return metric.values.find((v) => v.labels.loop === loop && v.labels.outcome === outcome)?.value ?? 0;
}

describe('startLoop', () => {
  const loops: Array<Loop<unknown>> = [];
  const started = <T>(loop: Loop<T>): Loop<T> => {
    loops.push(loop as Loop<unknown>);
    return loop;
  };
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
  });

  it('runs a pass every interval, one at a time, and counts them', async () => {
    let active = 0;
    let overlapped = false;
    let passes = 0;
    const { logger } = warnings();
    started(
      startLoop({
        name: 'test-interval',
        intervalMs: 5,
        firstPassAfterMs: 0,
        logger,
        pass: async () => {
          if (++active > 1) overlapped = true;
          await sleep(10);
          passes++;
          active--;
        },
      }),
    );
    await sleep(120);
    assert.ok(passes >= 3, `expected several passes, got ${passes}`);
    assert.equal(overlapped, false, 'two passes ran at once');
    assert.ok((await passesCounted('test-interval', 'ok')) >= 3);
  });

  it('waits the interval before the first pass unless told otherwise', async () => {
    let passes = 0;
    const { logger } = warnings();
    started(startLoop({ name: 'test-first', intervalMs: 10_000, logger, pass: async () => void passes++ }));
    await sleep(30);
    assert.equal(passes, 0);
  });

  it('backs off while passes fail, logs each failure and recovers the interval after a success', async () => {
    let calls = 0;
    let failing = true;
    const { logger, lines } = warnings();
    const loop = started(
      startLoop({
        name: 'test-backoff',
        intervalMs: 2,
        firstPassAfterMs: 0,
        backoff: { baseMs: 40, maxMs: 80 },
        logger,
        pass: async () => {
          calls++;
          if (failing) throw new Error('broker down');
        },
      }),
    );
    await sleep(150);
    // Without backoff, a 2 ms interval would have run dozens of passes by now.
    assert.ok(calls >= 2 && calls <= 4, `expected 2 to 4 passes while backing off, got ${calls}`);
    assert.equal(lines[0]?.message, 'test-backoff pass failed; will retry');
    assert.equal(lines[0]?.meta.err, 'broker down');
    assert.equal(lines[0]?.meta.retry_in_ms, 80);
    assert.equal(await passesCounted('test-backoff', 'failed'), calls);

    failing = false;
    await loop.runNow();
    const after = calls;
    await sleep(60);
    assert.ok(calls - after >= 5, `expected the 2 ms interval again after a success, got ${calls - after} passes`);
  });

  it('retries a failed pass after the plain interval when it has no backoff', async () => {
    let calls = 0;
    const { logger, lines } = warnings();
    started(
      startLoop({
        name: 'test-no-backoff',
        intervalMs: 5,
        firstPassAfterMs: 0,
        logger,
        pass: async () => {
          calls++;
          throw new Error('nope');
        },
      }),
    );
    await sleep(80);
    assert.ok(calls >= 4, `expected retries every 5 ms, got ${calls}`);
    assert.equal(lines[0]?.meta.retry_in_ms, 5);
  });

  it('runNow joins the running pass and hands back its result or its error', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const { logger } = warnings();
    const loop = started(
      startLoop({
        name: 'test-run-now',
        intervalMs: 10_000,
        logger,
        pass: async () => {
          calls++;
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          if (calls > 1) throw new Error('second pass fails');
          return calls;
        },
      }),
    );
    const first = loop.runNow();
    const joined = loop.runNow();
    release?.();
    assert.equal(await first, 1);
    assert.equal(await joined, 1);
    assert.equal(calls, 1);
    const second = loop.runNow();
    release?.();
    await assert.rejects(second, /second pass fails/);
  });

  it('nudge runs another pass right after the current one, but not while backing off', async () => {
    let calls = 0;
    let fail = false;
    const { logger } = warnings();
    const loop = started(
      startLoop({
        name: 'test-nudge',
        intervalMs: 10_000,
        backoff: { baseMs: 10_000, maxMs: 10_000 },
        logger,
        pass: async () => {
          calls++;
          await sleep(5);
          if (fail) throw new Error('fails');
        },
      }),
    );
    const running = loop.runNow();
    loop.nudge();
    await running;
    await sleep(30);
    assert.equal(calls, 2, 'the nudge during a pass asked for one more');

    fail = true;
    await loop.runNow().catch(() => {});
    loop.nudge();
    await sleep(30);
    assert.equal(calls, 3, 'a nudge while backing off must not run a pass');
  });

  it('stop waits for the running pass and schedules nothing after it', async () => {
    let calls = 0;
    let finished = false;
    const { logger } = warnings();
    const loop = startLoop({
      name: 'test-stop',
      intervalMs: 2,
      firstPassAfterMs: 0,
      logger,
      pass: async () => {
        calls++;
        await sleep(20);
        finished = true;
      },
    });
    await sleep(5);
    await loop.stop();
    assert.equal(finished, true, 'stop returned before the running pass ended');
    const atStop = calls;
    loop.nudge();
    await sleep(30);
    assert.equal(calls, atStop);
  });
});
