/**
 * The checkout saga as a state machine over a persisted order. Each step calls one
 * dependency, idempotently (reservation id = order id; payment keys derive from the order
 * id), and persists its outcome before the next step starts, so any process can resume
 * an order from its step. Failures compensate in reverse: refund a charge that went
 * through, then release held stock; the order ends `failed` with a reason.
 *
 * Which failures end a checkout and which wait: before the charge went through, giving up
 * is safe (release, fail). A Reserve without an answer is the one failure announced before
 * its compensation: nothing can be charged any more, and the Release it owes may have to
 * wait for the very service that did not answer. After the charge, the saga only moves
 * forward or compensates on a definite answer; a dependency that is merely down defers
 * the order to the recovery loop.
 */
import type { Logger } from '@meshmart/kit';
import type { Card, FailureClass, LeasedOrder, Order } from './order.ts';
import {
  type Inventory,
  LeaseLost,
  type OrderEvent,
  type Payments,
  type Quote,
  type SagaStore,
  TransientError,
  type Transition,
} from './saga-ports.ts';

/** Told about step timings and settled orders (metrics). */
export interface SagaObserver {
  step(step: string, seconds: number): void;
  settled(order: Order): void;
}

export interface SagaOptions {
  store: SagaStore;
  inventory: Inventory;
  payments: Payments;
  logger: Logger;
  observer: SagaObserver;
  /** Tries per step while a dependency answers with transient errors. */
  attempts: number;
  /**
   * How long a step keeps calling a dependency that answers "busy, call again" (contended)
   * before those answers count as failed tries too.
   */
  contentionBudgetMs: number;
  reservationTtlSeconds: number;
  /** Lease renewal period while a step runs. */
  heartbeatMs: number;
  /** Pause before try n+1 of a step; by default 200 ms, 600 ms … with jitter. */
  backoffMs?: (attempt: number) => number;
}

/** The order goes back to the recovery loop; a later attempt continues from its step. */
class Deferred extends Error {
  override name = 'Deferred';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sumLines = (lines: Array<{ quantity: number; unitPriceMinor: number }>) =>
  lines.reduce((total, l) => total + l.quantity * l.unitPriceMinor, 0);

export class Saga {
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: SagaOptions) {
    this.backoffMs = options.backoffMs ?? ((attempt) => 200 * 3 ** (attempt - 1) * (0.5 + Math.random()));
  }

  /**
   * Drives the order until its saga is done or deferred. The card is only in memory:
   * without it (recovery after a crash) a checkout that has not been charged compensates.
   * So is the quote (see `Quote`).
   */
  async run(order: LeasedOrder, card?: Card, quote?: Quote): Promise<LeasedOrder> {
    const { store, logger } = this.options;
    let current = order;
    const heartbeat = setInterval(() => {
      store.renew(current).catch((err: unknown) => logger.warn('lease renewal failed', { order_id: order.id, err: String(err) }));
    }, this.options.heartbeatMs);
    heartbeat.unref();
    try {
      while (current.step !== 'done') current = await this.next(current, card, quote);
    } catch (err) {
      if (err instanceof Deferred) {
        logger.warn('saga deferred', { order_id: order.id, step: current.step, reason: err.message });
        await store
          .defer(current)
          .catch((e: unknown) => logger.error('could not defer order', { order_id: order.id, err: String(e) }));
      } else if (err instanceof LeaseLost) {
        logger.warn('saga lease lost; another runner has the order', { order_id: order.id, step: current.step });
      } else {
        // The database or a bug: the lease runs out and the recovery loop tries again.
        logger.error('saga interrupted', { order_id: order.id, step: current.step, err: (err as Error).message });
      }
    } finally {
      clearInterval(heartbeat);
    }
    if (order.status === 'pending' && current.status !== 'pending') this.options.observer.settled(current);
    return current;
  }

  private next(order: LeasedOrder, card: Card | undefined, quote: Quote | undefined): Promise<LeasedOrder> {
    switch (order.step) {
      case 'reserving':
        return this.reserve(order, card, quote);
      case 'charging':
        return this.charge(order, card);
      case 'committing':
        return this.commit(order);
      case 'refunding':
        return this.refund(order);
      case 'releasing':
        return this.release(order);
      case 'cancelling':
        return this.cancel(order);
      case 'done':
        return Promise.resolve(order);
    }
  }

  private async reserve(order: LeasedOrder, card: Card | undefined, quote: Quote | undefined): Promise<LeasedOrder> {
    if (!card) return this.compensate(order, 'interrupted', 'the checkout was interrupted before payment');
    let outcome: Awaited<ReturnType<Inventory['reserve']>>;
    try {
      outcome = await this.attempt('reserve', () =>
        this.options.inventory.reserve(order.id, order.items, this.options.reservationTtlSeconds, quote),
      );
    } catch (err) {
      if (err instanceof TransientError) return this.giveUpUnreserved(order, err.failureClass, err.reason);
      throw err;
    }
    switch (outcome.kind) {
      case 'out_of_stock':
        // All-or-nothing: nothing is held, so there is nothing to release.
        return this.fail(order, 'out_of_stock', `out of stock: ${outcome.detail}`, 'stock could not be reserved');
      case 'unknown_product':
        return this.fail(order, 'unknown_product', `unknown product: ${outcome.detail}`, 'stock could not be reserved');
      case 'reserved': {
        const currencies = new Set(outcome.lines.map((l) => l.currency));
        const [currency] = currencies;
        if (currencies.size !== 1 || currency === undefined) {
          return this.compensate(order, 'catalog_error', 'the products are priced in different currencies');
        }
        const lines = outcome.lines.map(({ productId, name, quantity, unitPriceMinor }) => ({
          productId,
          name,
          quantity,
          unitPriceMinor,
        }));
        const totalMinor = sumLines(lines);
        if (!Number.isSafeInteger(totalMinor)) return this.compensate(order, 'catalog_error', 'the order total is too large');
        const priced = { ...order, lines, totalMinor, currency };
        return this.options.store.advance(order, {
          step: 'charging',
          lines,
          totalMinor,
          currency,
          note: `stock reserved: ${lines.length} line(s), ${totalMinor} ${currency} (minor units)`,
          event: { topic: 'order.created', data: { ...this.ref(priced), lines } },
        });
      }
    }
  }

  private async charge(order: LeasedOrder, card: Card | undefined): Promise<LeasedOrder> {
    const { store, payments } = this.options;
    if (!card) {
      // The card died with the process that had it; payments may still have charged it.
      const reported = await store.reportedCharge(order.id);
      if (reported) {
        return store.advance(order, {
          step: 'committing',
          paymentId: reported.paymentId,
          note: `payment ${reported.paymentId} succeeded (reported by payments after an interruption)`,
        });
      }
      return this.compensate(order, 'interrupted', 'the checkout was interrupted during payment');
    }
    let outcome: Awaited<ReturnType<Payments['charge']>>;
    try {
      outcome = await this.attempt('charge', () =>
        payments.charge({ orderId: order.id, amountMinor: order.totalMinor, currency: this.currencyOf(order), card }),
      );
    } catch (err) {
      // The charge may have gone through unseen; settleFailure refunds it once payments reports it.
      if (err instanceof TransientError) return this.compensate(order, err.failureClass, err.reason);
      throw err;
    }
    switch (outcome.kind) {
      case 'succeeded':
        return store.advance(order, {
          step: 'committing',
          paymentId: outcome.paymentId,
          note: `payment ${outcome.paymentId} succeeded`,
        });
      case 'declined':
        return this.compensate(
          order,
          outcome.failureClass,
          outcome.reason,
          outcome.paymentId && `payment ${outcome.paymentId} declined`,
        );
      case 'rejected':
        return this.compensate(order, 'payment_rejected', `payment rejected: ${outcome.reason}`);
    }
  }

  private async commit(order: LeasedOrder): Promise<LeasedOrder> {
    const result = await this.patiently('commit', () => this.options.inventory.commit(order.id));
    if (result === 'gone') {
      return this.compensate(order, 'reservation_lost', 'the stock reservation expired before payment completed');
    }
    const paymentId = order.paymentId ?? '';
    return this.options.store.advance(order, {
      step: 'done',
      status: 'paid',
      note: 'stock committed; order paid',
      event: { topic: 'order.paid', data: { ...this.ref(order), lines: order.lines, paymentId } },
    });
  }

  private async refund(order: LeasedOrder): Promise<LeasedOrder> {
    const amountMinor = order.totalMinor - order.refundedMinor;
    let note = 'nothing to refund';
    if (order.paymentId && amountMinor > 0) {
      const paymentId = order.paymentId;
      const result = await this.patiently('refund', () =>
        this.options.payments.refund({ orderId: order.id, paymentId, amountMinor }),
      );
      note =
        result === 'refunded' ? `refunded ${amountMinor} of payment ${paymentId}` : `payment ${paymentId} was already refunded`;
    }
    return this.options.store.advance(order, { step: 'releasing', refundedMinor: order.totalMinor, note });
  }

  private async release(order: LeasedOrder): Promise<LeasedOrder> {
    const result = await this.patiently('release', () => this.options.inventory.release(order.id));
    if (result === 'committed') {
      this.options.logger.error('stock of a failed order was committed; it returns only through order.cancelled', {
        order_id: order.id,
      });
    }
    const released = result === 'released' ? 'stock released' : 'stock had been committed and was not released';
    return this.fail(order, order.failureClass ?? 'interrupted', order.reason ?? 'checkout failed', released);
  }

  private async cancel(order: LeasedOrder): Promise<LeasedOrder> {
    const amountMinor = order.totalMinor - order.refundedMinor;
    if (order.paymentId && amountMinor > 0) {
      const paymentId = order.paymentId;
      await this.patiently('refund', () => this.options.payments.refund({ orderId: order.id, paymentId, amountMinor }));
    }
    const reason = order.reason ?? 'cancelled';
    return this.options.store.advance(order, {
      step: 'done',
      status: 'cancelled',
      refundedMinor: order.totalMinor,
      note: `refunded ${amountMinor}; order cancelled`,
      event: {
        topic: 'order.cancelled',
        data: { ...this.ref(order), lines: order.lines, reason, refundedMinor: order.totalMinor },
      },
    });
  }

  /** Records why the checkout fails and starts compensating: refund first if charged, then release. */
  private compensate(order: LeasedOrder, failureClass: FailureClass, reason: string, detail?: string): Promise<LeasedOrder> {
    return this.options.store.advance(order, {
      step: order.paymentId ? 'refunding' : 'releasing',
      reason,
      failureClass,
      note: `${detail ? `${detail}; ` : ''}${reason}; compensating`,
    });
  }

  /**
   * Reserve gave no answer: stock may be held, so Release must follow, but nothing can be
   * charged any more. The order fails now, announced once, and the release finishes after
   * it, deferred to the recovery loop while inventory is down: the buyer's answer waits for
   * the tries, not for inventory to come back.
   */
  private giveUpUnreserved(order: LeasedOrder, failureClass: FailureClass, reason: string): Promise<LeasedOrder> {
    return this.options.store.advance(order, {
      step: 'releasing',
      status: 'failed',
      reason,
      failureClass,
      note: `${reason}; order failed, returning any stock it holds`,
      event: { topic: 'order.failed', data: { ...this.ref({ ...order, reason }), reason } },
    });
  }

  private fail(order: LeasedOrder, failureClass: FailureClass, reason: string, note: string): Promise<LeasedOrder> {
    const failed = { ...order, reason };
    const transition: Transition = {
      step: 'done',
      status: 'failed',
      reason,
      failureClass,
      // An order that failed before its compensation said so then.
      note: order.status === 'failed' ? note : `${note}; order failed: ${reason}`,
      // A late refund re-enters compensation for an order already announced as failed.
      ...(order.status === 'pending' && {
        event: { topic: 'order.failed', data: { ...this.ref(failed), reason } } satisfies OrderEvent,
      }),
    };
    return this.options.store.settleFailure(order, transition);
  }

  /** A step after which the saga must not give up on a transient error: it defers instead. */
  private async patiently<T>(step: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.attempt(step, call);
    } catch (err) {
      if (err instanceof TransientError) throw new Deferred(`${step}: ${err.reason}`, { cause: err });
      throw err;
    }
  }

  private async attempt<T>(step: string, call: () => Promise<T>): Promise<T> {
    const busyUntil = performance.now() + this.options.contentionBudgetMs;
    for (let attempt = 1; ; ) {
      const started = performance.now();
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        if (err.contended && performance.now() < busyUntil) {
          // Spread out, so that callers contending for one product do not return in step.
          await sleep(50 + Math.random() * 200);
          continue;
        }
        if (attempt >= this.options.attempts) throw err;
        this.options.logger.warn('saga step failed; retrying', { step, attempt, reason: err.reason });
        await sleep(this.backoffMs(attempt));
        attempt++;
      } finally {
        this.options.observer.step(step, (performance.now() - started) / 1000);
      }
    }
  }

  private currencyOf(order: Order): string {
    if (!order.currency) throw new Error(`order ${order.id} reached payment without a currency`);
    return order.currency;
  }

  /** The fields every order event carries. Before pricing the total is 0 in XXX, ISO 4217's "no currency". */
  private ref(order: Order) {
    return {
      orderId: order.id,
      userId: order.userId,
      userEmail: order.userEmail,
      totalMinor: order.totalMinor,
      currency: order.currency ?? 'XXX',
      at: new Date().toISOString(),
    };
  }
}
