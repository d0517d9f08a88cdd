/**
 * Returns expired holds to stock every SWEEP_INTERVAL_MS, a batch at a time until none is
 * left. Every replica sweeps; the ledger's SKIP LOCKED keeps them off each other's rows.
 */
import type { Logger } from '@meshmart/kit';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Ledger } from './ledger.ts';

export interface Sweeper {
  stop(): Promise<void>;
}

export function startSweeper(ledger: Ledger, options: { intervalMs: number; batch: number; logger: Logger }): Sweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function sweepAll(): Promise<void> {
    while (!stopped && (await ledger.sweep(options.batch)) === options.batch) {
      // A full batch: more may be waiting.
    }
  }

  function tick(): void {
    // Each poll would otherwise start a root trace of its own.
    running = context
      .with(suppressTracing(context.active()), sweepAll)
      .catch((err: unknown) => {
        options.logger.warn('reservation sweep failed; will retry', { err: (err as Error).message });
      })
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, options.intervalMs).unref();
      });
  }
  timer = setTimeout(tick, options.intervalMs).unref();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
