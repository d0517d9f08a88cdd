/**
 * Returns expired holds to stock every SWEEP_INTERVAL_MS, a batch at a time until none is
 * left. Every replica sweeps; the ledger's SKIP LOCKED keeps them off each other's rows.
 */
import { type Logger, startLoop } from '@meshmart/kit';
import type { Ledger } from './ledger.ts';

export interface Sweeper {
  stop(): Promise<void>;
}

export function startSweeper(ledger: Ledger, options: { intervalMs: number; batch: number; logger: Logger }): Sweeper {
  let stopped = false;
  async function sweepAll(): Promise<void> {
    while (!stopped && (await ledger.sweep(options.batch)) === options.batch) {
      // A full batch: more may be waiting.
    }
  }
  const loop = startLoop({ name: 'reservation-sweep', pass: sweepAll, intervalMs: options.intervalMs, logger: options.logger });
  return {
    async stop() {
      stopped = true;
      await loop.stop();
    },
  };
}
