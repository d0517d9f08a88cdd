/**
 * A background loop for work every replica does on its own schedule (the outbox relay,
 * the reservation sweeper): one run at a time, woken early on demand, backing off
 * exponentially while runs fail.
 */
import type { Logger } from '@meshmart/kit';

export interface LoopOptions {
  name: string;
  intervalMs: number;
  maxBackoffMs?: number;
  logger: Logger;
  run: () => Promise<unknown>;
}

export interface Loop {
  /** Runs again as soon as the current run is over (ignored while backing off). */
  nudge(): void;
  stop(): Promise<void>;
}

export function startLoop({ name, intervalMs, maxBackoffMs = 30_000, logger, run }: LoopOptions): Loop {
  let stopped = false;
  let failures = 0;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  function schedule(delay: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  function tick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run().then(
      () => {
        failures = 0;
        running = undefined;
        schedule(again ? 0 : intervalMs);
        again = false;
      },
      (err: unknown) => {
        failures++;
        running = undefined;
        again = false;
        const delay = Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failures, 10));
        logger.warn(`${name} failed; will retry`, { err: (err as Error).message, retry_in_ms: delay });
        schedule(delay);
      },
    );
  }

  schedule(0);
  return {
    nudge() {
      if (failures === 0) schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
