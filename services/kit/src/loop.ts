/**
 * The one way a service runs work in the background (outbox relays, sweepers, retry and
 * recovery loops): a pass every interval, the next pass only after the last one ended,
 * backoff while passes fail, a pass at once on request, and a stop that waits for the
 * running pass. Every pass is counted and timed per loop in `background_loop_*`.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Logger } from './logging.ts';
import { loopMetrics } from './metrics.ts';

export interface LoopOptions<T> {
  /** Names the loop in metrics and logs, e.g. `outbox`. */
  name: string;
  /** One pass of the work. A rejection counts as a failed pass. */
  pass: () => Promise<T>;
  /** Delay between a successful pass and the next. */
  intervalMs: number;
  logger: Logger;
  /** Delay before the first pass; the interval by default. */
  firstPassAfterMs?: number;
  /**
   * After n failed passes in a row the next waits `min(maxMs, baseMs * 2^n)` instead of the
   * interval. Without it a failed pass is simply tried again after the interval.
   */
  backoff?: { baseMs: number; maxMs: number };
  /**
   * Passes run with tracing suppressed unless this is set: an idle poll would otherwise
   * start a root trace of its own. A loop whose passes open spans on purpose sets it.
   */
  traced?: boolean;
}

export interface Loop<T> {
  /** Runs a pass now, or joins the one running; resolves or rejects with its outcome. */
  runNow(): Promise<T>;
  /** Asks for a pass as soon as the running one ends; ignored while backing off from failures. */
  nudge(): void;
  /** Resolves once no pass is running. */
  idle(): Promise<void>;
  /** Stops scheduling and waits for the running pass. */
  stop(): Promise<void>;
}

const MAX_DOUBLINGS = 10;

export function startLoop<T>(options: LoopOptions<T>): Loop<T> {
  const { name, intervalMs, logger, backoff, traced = false } = options;
  const metrics = loopMetrics();
  let stopped = false;
  let failures = 0;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> | undefined;

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void runNow().catch(() => {}), delayMs);
    timer.unref();
  }

  function nextDelay(): number {
    if (again) return 0;
    if (failures === 0 || !backoff) return intervalMs;
    return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(failures, MAX_DOUBLINGS));
  }

  async function execute(): Promise<T> {
    const end = metrics.duration.startTimer({ loop: name });
    try {
      const result = await (traced ? options.pass() : context.with(suppressTracing(context.active()), options.pass));
      failures = 0;
      metrics.passes.inc({ loop: name, outcome: 'ok' });
      return result;
    } catch (err) {
      failures++;
      again = false;
      metrics.passes.inc({ loop: name, outcome: 'failed' });
      logger.warn(`${name} pass failed; will retry`, { err: (err as Error).message, retry_in_ms: nextDelay() });
      throw err;
    } finally {
      end();
      metrics.failing.set({ loop: name }, failures);
    }
  }

  function runNow(): Promise<T> {
    if (running) return running;
    clearTimeout(timer);
    running = execute().finally(() => {
      running = undefined;
      const delay = nextDelay();
      again = false;
      schedule(delay);
    });
    return running;
  }

  metrics.failing.set({ loop: name }, 0);
  schedule(options.firstPassAfterMs ?? intervalMs);

  return {
    runNow,
    nudge() {
      if (stopped || failures > 0) return;
      if (running) again = true;
      else schedule(0);
    },
    async idle() {
      while (running) await running.catch(() => {});
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

/**
 * A loop that hands stored events to the broker: a first pass at once, then every poll
 * interval, and from a quarter second up to `maxBackoffMs` apart while publishing fails.
 * Passes are untraced; each published event joins the trace of the write that stored it
 * through the traceparent kept with it.
 */
export function startRelayLoop<T>(
  name: string,
  publishPending: () => Promise<T>,
  options: { pollMs: number; maxBackoffMs: number; logger: Logger },
): Loop<T> {
  return startLoop({
    name,
    pass: publishPending,
    intervalMs: options.pollMs,
    firstPassAfterMs: 0,
    backoff: { baseMs: 250, maxMs: options.maxBackoffMs },
    logger: options.logger,
  });
}
