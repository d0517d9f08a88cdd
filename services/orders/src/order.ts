/**
 * An order and the saga that moves it. `status` is what the buyer sees; `step` is where
 * the saga stands, persisted before each remote call so another process can pick it up.
 * Forward: reserving → charging → committing → done (paid). Compensation runs in reverse:
 * refunding (a charge that went through) → releasing (held stock) → done (failed). A
 * Reserve without an answer makes the order `failed` as it enters releasing.
 * Cancelling a paid order: cancelling → done (cancelled).
 */
import type { Card } from '@meshmart/contracts/card';
import type { Order as OrderBody, OrderStatus } from '@meshmart/contracts/orders';
import type { Address } from '@meshmart/contracts/users';

export type { Card, OrderStatus };

export type SagaStep = 'reserving' | 'charging' | 'committing' | 'refunding' | 'releasing' | 'cancelling' | 'done';

/** Why a checkout failed, coarse enough to be a metric label. */
export type FailureClass =
  | 'out_of_stock'
  | 'unknown_product'
  | 'card_declined'
  | 'insufficient_funds'
  | 'payment_rejected'
  | 'payment_error'
  | 'catalog_error'
  | 'inventory_error'
  | 'reservation_lost'
  | 'interrupted';

export interface RequestedItem {
  productId: string;
  quantity: number;
}

/** A priced line; the price is catalog's, read when the stock was reserved. */
export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPriceMinor: number;
}

export type ShippingAddress = Address;

export interface TimelineEntry {
  status: OrderStatus;
  at: string;
  note: string;
}

export interface Order {
  id: string;
  userId: string;
  userEmail: string;
  status: OrderStatus;
  step: SagaStep;
  reason: string | null;
  failureClass: FailureClass | null;
  items: RequestedItem[];
  lines: OrderLine[];
  totalMinor: number;
  /** Unknown until stock is reserved and priced. */
  currency: string | null;
  shippingAddress: ShippingAddress;
  paymentId: string | null;
  refundedMinor: number;
  createdAt: string;
  updatedAt: string;
}

/** An order claimed by one saga runner; every write is fenced by the lease token. */
export interface LeasedOrder extends Order {
  leaseToken: string;
}

export const isSettled = (order: Pick<Order, 'status'>): boolean => order.status !== 'pending';

/** The order as the REST API shows it (its contract's `order`). */
export function orderView(order: Order, timeline: TimelineEntry[]): OrderBody {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    ...(order.reason !== null && { reason: order.reason }),
    items: order.items,
    lines: order.lines,
    totalMinor: order.totalMinor,
    currency: order.currency,
    shippingAddress: order.shippingAddress,
    ...(order.paymentId !== null && { paymentId: order.paymentId }),
    refundedMinor: order.refundedMinor,
    timeline,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
