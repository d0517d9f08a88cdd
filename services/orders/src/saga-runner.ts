/**
 * The sagas this process is driving, so a duplicate request or a cancel can wait for the
 * run in progress instead of polling, and shutdown can let them finish.
 */
import type { Card, LeasedOrder, Order } from './order.ts';
import type { Saga } from './saga.ts';
import type { Quote } from './saga-ports.ts';

export class SagaRunner {
  private readonly running = new Map<string, Promise<Order>>();

  constructor(private readonly saga: Saga) {}

  start(order: LeasedOrder, card?: Card, quote?: Quote): Promise<Order> {
    const run: Promise<Order> = this.saga.run(order, card, quote).finally(() => {
      // A later run of the same order (after a lease takeover) keeps its own entry.
      if (this.running.get(order.id) === run) this.running.delete(order.id);
    });
    this.running.set(order.id, run);
    return run;
  }

  inProgress(orderId: string): Promise<Order> | undefined {
    return this.running.get(orderId);
  }

  get size(): number {
    return this.running.size;
  }

  /** Waits for the sagas in progress, at most `timeoutMs`; the rest are left to recovery. */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.running.values()]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}
