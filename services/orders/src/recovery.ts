/**
 * The recovery loop: at start and then periodically, claims orders whose saga is
 * unfinished and whose lease ran out (their process died, or a step was deferred) and
 * drives them on without a card — so they resume where that is safe and compensate
 * where it is not. Replicas claim with FOR UPDATE SKIP LOCKED and never share an order.
 */
import { type Logger, startLoop } from '@meshmart/kit';
import { recoveries } from './metrics.ts';
import type { Order } from './order.ts';
import type { OrdersRepo } from './orders-store.ts';
import type { SagaRunner } from './saga-runner.ts';

export interface RecoveryOptions {
  repo: OrdersRepo;
  runner: SagaRunner;
  logger: Logger;
  intervalMs: number;
  /** Orders claimed and driven at once. */
  batchSize?: number;
}

export interface Recovery {
  /** Runs one pass now (claims until none are due); resolves with the number of orders driven. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const outcomeOf = (order: Order) => (order.step === 'done' ? order.status : 'deferred');

export function startRecovery(options: RecoveryOptions): Recovery {
  const { repo, runner, logger, intervalMs, batchSize = 10 } = options;
  let stopped = false;

  async function drive(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await repo.claimDue(batchSize);
      if (claimed.length === 0) return total;
      total += claimed.length;
      await Promise.all(
        claimed.map(async (order) => {
          logger.info('recovering order', { order_id: order.id, step: order.step, status: order.status });
          const result = await runner.start(order);
          recoveries.inc({ outcome: outcomeOf(result) });
        }),
      );
      if (claimed.length < batchSize || stopped) return total;
    }
  }

  // Traced: a pass that drives an order is the saga's work, and its spans belong in Jaeger.
  const loop = startLoop({ name: 'saga-recovery', pass: drive, intervalMs, firstPassAfterMs: 0, logger, traced: true });

  return {
    runOnce: () => loop.runNow(),
    async stop() {
      stopped = true;
      await loop.stop();
    },
  };
}
