/**
 * Scripted stand-ins for the saga's outside parties (catalog, payments) and a quiet
 * logger. They record every call so tests can assert which steps and compensations ran.
 */
import { createLogger, type Logger } from '@meshmart/kit';
import type { RequestedItem } from '../src/order.ts';
import {
  type ChargeOutcome,
  type ChargeRequest,
  type Inventory,
  type Payments,
  type Quote,
  type RefundRequest,
  type ReserveOutcome,
  TransientError,
} from '../src/saga-ports.ts';

export function quietLogger(): Logger {
  const logger = createLogger('orders-test', 'error');
  logger.silent = true;
  return logger;
}

/** An answer; `transient` for a call that fails without a definite answer, `busy` for one that asks to be repeated. */
type Failure = 'transient' | 'busy';
type Scripted<T> = T | Failure | ((call: number) => T | Failure | Promise<T | Failure>);

async function answer<T>(script: Scripted<T>, call: number, failureClass: 'inventory_error' | 'payment_error'): Promise<T> {
  const value = typeof script === 'function' ? await (script as (n: number) => T | Failure)(call) : script;
  if (value === 'transient' || value === 'busy') {
    throw new TransientError(`${failureClass} (scripted)`, failureClass, { contended: value === 'busy' });
  }
  return value;
}

export const PRICE = 1250;

export class ScriptedInventory implements Inventory {
  calls: string[] = [];
  /** The quote each Reserve was handed, if any. */
  quotes: Array<Quote | undefined> = [];
  /** Unset: every item is reserved, priced from the quote, else at PRICE in EUR. */
  reserveScript: Scripted<ReserveOutcome> | undefined;
  commitScript: Scripted<'committed' | 'gone'> = 'committed';
  releaseScript: Scripted<'released' | 'committed'> = 'released';

  async reserve(reservationId: string, items: RequestedItem[], _ttlSeconds: number, quote?: Quote): Promise<ReserveOutcome> {
    this.calls.push(`reserve ${reservationId}`);
    this.quotes.push(quote);
    const priced = (productId: string) => {
      const product = quote?.get(productId);
      return product
        ? { name: product.name, unitPriceMinor: product.priceMinor, currency: product.currency }
        : { name: `Product ${productId}`, unitPriceMinor: PRICE, currency: 'EUR' };
    };
    const everything: ReserveOutcome = { kind: 'reserved', lines: items.map((i) => ({ ...i, ...priced(i.productId) })) };
    return answer(this.reserveScript ?? everything, this.count('reserve'), 'inventory_error');
  }

  async commit(reservationId: string): Promise<'committed' | 'gone'> {
    this.calls.push(`commit ${reservationId}`);
    return answer(this.commitScript, this.count('commit'), 'inventory_error');
  }

  async release(reservationId: string): Promise<'released' | 'committed'> {
    this.calls.push(`release ${reservationId}`);
    return answer(this.releaseScript, this.count('release'), 'inventory_error');
  }

  count(kind: string): number {
    return this.calls.filter((c) => c.startsWith(kind)).length;
  }

  reset(): void {
    this.calls = [];
    this.quotes = [];
    this.reserveScript = undefined;
    this.commitScript = 'committed';
    this.releaseScript = 'released';
  }
}

export class ScriptedPayments implements Payments {
  charges: ChargeRequest[] = [];
  refunds: RefundRequest[] = [];
  chargeScript: Scripted<ChargeOutcome> = (n): ChargeOutcome => ({ kind: 'succeeded', paymentId: `pay-${n}` });
  refundScript: Scripted<'refunded' | 'nothing_left'> = 'refunded';

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    this.charges.push(request);
    return answer(this.chargeScript, this.charges.length, 'payment_error');
  }

  async refund(request: RefundRequest): Promise<'refunded' | 'nothing_left'> {
    this.refunds.push(request);
    return answer(this.refundScript, this.refunds.length, 'payment_error');
  }

  reset(): void {
    this.charges = [];
    this.refunds = [];
    this.chargeScript = (n): ChargeOutcome => ({ kind: 'succeeded', paymentId: `pay-${n}` });
    this.refundScript = 'refunded';
  }
}

export const CARD = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };
