/**
 * The recovery loop: at start and then periodically, claims orders whose saga is
 * unfinished and whose lease ran out (their process died, or a step was deferred) and
 * drives them on without a card — so they resume where that is safe and compensate
 * where it is not. Replicas claim with FOR UPDATE SKIP LOCKED and never share an order.
 */
import type { Logger } from '@meshmart/kit';
import { recoveries } from './metrics.ts';
import type { Order } from './order.ts';
import type { OrdersRepo } from './orders-repo.ts';
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
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<number> | undefined;

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

  function runOnce(): Promise<number> {
    pass ??= drive().finally(() => {
      pass = undefined;
    });
    return pass;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((err: unknown) => logger.warn('recovery pass failed', { err: (err as Error).message }))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  runOnce()
    .catch((err: unknown) => logger.warn('recovery pass failed', { err: (err as Error).message }))
    .finally(schedule);

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass?.catch(() => {});
    },
  };
}
