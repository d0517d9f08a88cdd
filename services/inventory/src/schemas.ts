/** What inventory accepts over gRPC; anything else is INVALID_ARGUMENT. Its REST shapes are in its contract. */
import { status } from '@grpc/grpc-js';
import { PRODUCT_ID } from '@meshmart/contracts/common';
import { MAX_STOCK } from '@meshmart/contracts/inventory';
import { GrpcError } from '@meshmart/kit';
import type { Line } from './ledger.ts';

export const RESERVATION_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const MAX_ITEMS = 100;

export function reservationId(id: string): string {
  if (!RESERVATION_ID.test(id)) {
    throw new GrpcError(status.INVALID_ARGUMENT, 'reservation_id must be 1-128 letters, digits or _ . : -');
  }
  return id;
}

export function productIds(ids: string[]): string[] {
  if (ids.length === 0 || ids.length > MAX_ITEMS) {
    throw new GrpcError(status.INVALID_ARGUMENT, `product_ids must list 1 to ${MAX_ITEMS} ids`);
  }
  for (const id of ids) {
    if (!PRODUCT_ID.test(id))
      throw new GrpcError(status.INVALID_ARGUMENT, `product_id ${JSON.stringify(id)} is not a product id`);
  }
  return ids;
}

/** Validates the items and adds up repeated products, so each product moves once. */
export function requestedLines(items: Array<{ productId: string; quantity: number }>): Line[] {
  if (items.length === 0 || items.length > MAX_ITEMS) {
    throw new GrpcError(status.INVALID_ARGUMENT, `items must list 1 to ${MAX_ITEMS} products`);
  }
  productIds(items.map((i) => i.productId));
  const totals = new Map<string, number>();
  for (const item of items) {
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_STOCK) {
      throw new GrpcError(status.INVALID_ARGUMENT, `quantity of ${item.productId} must be between 1 and ${MAX_STOCK}`);
    }
    totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  }
  const lines = [...totals].map(([productId, quantity]) => ({ productId, quantity }));
  const tooMany = lines.find((l) => l.quantity > MAX_STOCK);
  if (tooMany) throw new GrpcError(status.INVALID_ARGUMENT, `quantity of ${tooMany.productId} must be at most ${MAX_STOCK}`);
  return lines;
}
