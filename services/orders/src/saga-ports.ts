/**
 * What the checkout saga needs from the outside: stock (inventory, priced by catalog), money (payments) and
 * its own persistence. The saga is written against these so its state machine can be
 * tested step by step; the real implementations are the gRPC/HTTP clients and OrdersRepo.
 */
import type { EventData } from '@meshmart/kit';
import type { Card, FailureClass, LeasedOrder, OrderLine, OrderStatus, RequestedItem, SagaStep } from './order.ts';

/**
 * A dependency that is down, slow or overloaded: the call may be retried with the same
 * idempotency key, and its effect is unknown. `reason` is what the buyer is told if the
 * saga gives up. `contended`: the dependency is up but busy with the same thing (gRPC
 * ABORTED, a key in flight) and asks to be called again shortly.
 */
export class TransientError extends Error {
  override name = 'TransientError';
  readonly contended: boolean;

  constructor(
    readonly reason: string,
    readonly failureClass: FailureClass,
    options: { cause?: unknown; contended?: boolean } = {},
  ) {
    super(reason, { cause: options.cause });
    this.contended = options.contended ?? false;
  }
}

export interface ReservedLine extends OrderLine {
  currency: string;
}

/** A product's name and price as catalog gave them. */
export interface PricedProduct {
  name: string;
  priceMinor: number;
  currency: string;
}

/**
 * The prices read before the order was written, by product id. Kept in memory with the
 * card: a saga resumed elsewhere reads them again when it reserves.
 */
export type Quote = ReadonlyMap<string, PricedProduct>;

export type ReserveOutcome =
  | { kind: 'reserved'; lines: ReservedLine[] }
  /** Nothing is held: Reserve is all-or-nothing. */
  | { kind: 'out_of_stock'; detail: string }
  | { kind: 'unknown_product'; detail: string };

export interface Inventory {
  /** Prices the lines from `quote` when given, else from catalog at that moment. */
  reserve(reservationId: string, items: RequestedItem[], ttlSeconds: number, quote?: Quote): Promise<ReserveOutcome>;
  /** `gone`: the reservation expired or was released, so the stock is not ours to sell. */
  commit(reservationId: string): Promise<'committed' | 'gone'>;
  /** `committed`: the stock was sold and only an order.cancelled returns it. */
  release(reservationId: string): Promise<'released' | 'committed'>;
}

export type ChargeOutcome =
  | { kind: 'succeeded'; paymentId: string }
  | { kind: 'declined'; failureClass: 'card_declined' | 'insufficient_funds'; reason: string; paymentId?: string }
  /** payments refused the request itself; repeating it cannot help. */
  | { kind: 'rejected'; reason: string };

export interface ChargeRequest {
  orderId: string;
  amountMinor: number;
  currency: string;
  card: Card;
}

export interface RefundRequest {
  orderId: string;
  paymentId: string;
  amountMinor: number;
}

export interface Payments {
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** `nothing_left`: the charge was already refunded in full. */
  refund(request: RefundRequest): Promise<'refunded' | 'nothing_left'>;
}

type OrderTopic = 'order.created' | 'order.paid' | 'order.cancelled' | 'order.failed';
export type OrderEvent = { [T in OrderTopic]: { topic: T; data: EventData<T> } }[OrderTopic];

/** One persisted move of the saga, with its timeline note and the event it announces. */
export interface Transition {
  step: SagaStep;
  status?: OrderStatus;
  reason?: string;
  failureClass?: FailureClass;
  lines?: OrderLine[];
  totalMinor?: number;
  currency?: string;
  paymentId?: string;
  refundedMinor?: number;
  note: string;
  event?: OrderEvent;
}

/** Thrown by the store when another runner took the order over; this runner must stop. */
export class LeaseLost extends Error {
  override name = 'LeaseLost';
}

export interface SagaStore {
  /** Writes the transition, its timeline entry and its event in one transaction, fenced by the lease. */
  advance(order: LeasedOrder, transition: Transition): Promise<LeasedOrder>;
  /**
   * Ends a failed checkout with `failed`, unless payments reported a charge for it that
   * the saga never saw (its answer was lost): then the order moves to refunding instead.
   */
  settleFailure(order: LeasedOrder, failed: Transition): Promise<LeasedOrder>;
  /** A payment.succeeded received for the order, if any. */
  reportedCharge(orderId: string): Promise<{ paymentId: string } | undefined>;
  /** Keeps the lease alive while a step runs; false once it is lost. */
  renew(order: LeasedOrder): Promise<boolean>;
  /** Gives the order back for a later attempt, with a backoff that grows per attempt. */
  defer(order: LeasedOrder): Promise<void>;
}
