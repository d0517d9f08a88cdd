/** gRPC InventoryService: the checkout saga's stock API, reached with `dapr-app-id: catalog`. */
import { status } from '@grpc/grpc-js';
import { GrpcError, type UnaryHandler } from '@meshmart/kit';
import type {
  CheckStockRequest,
  CheckStockResponse,
  CommitRequest,
  CommitResponse,
  ReleaseRequest,
  ReleaseResponse,
  ReserveItem,
  ReserveRequest,
  ReserveResponse,
} from '@meshmart/proto/catalog/v1/inventory';
import type { Inventory, RequestedItem } from './inventory.ts';
import { MAX_STOCK, PRODUCT_ID, RESERVATION_ID } from './schemas.ts';
import { grpcUnavailable } from './unavailable.ts';
import { reservationMessage } from './views.ts';

const MAX_ITEMS = 100;

function reservationId(id: string): string {
  if (!RESERVATION_ID.test(id)) {
    throw new GrpcError(status.INVALID_ARGUMENT, 'reservation_id must be 1-128 letters, digits or _ . : -');
  }
  return id;
}

function productId(id: string): string {
  if (!PRODUCT_ID.test(id)) throw new GrpcError(status.INVALID_ARGUMENT, `product_id ${JSON.stringify(id)} is not a product id`);
  return id;
}

/** Validates the items and adds up repeated products, so each product moves once. */
export function requestedItems(items: ReserveItem[]): RequestedItem[] {
  if (items.length === 0 || items.length > MAX_ITEMS) {
    throw new GrpcError(status.INVALID_ARGUMENT, `items must list 1 to ${MAX_ITEMS} products`);
  }
  const totals = new Map<string, number>();
  for (const item of items) {
    productId(item.productId);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_STOCK) {
      throw new GrpcError(status.INVALID_ARGUMENT, `quantity of ${item.productId} must be between 1 and ${MAX_STOCK}`);
    }
    totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  }
  const merged = [...totals].map(([id, quantity]) => ({ productId: id, quantity }));
  const tooMany = merged.find((i) => i.quantity > MAX_STOCK);
  if (tooMany) throw new GrpcError(status.INVALID_ARGUMENT, `quantity of ${tooMany.productId} must be at most ${MAX_STOCK}`);
  return merged;
}

export function inventoryHandlers(inventory: Inventory): {
  checkStock: UnaryHandler<CheckStockRequest, CheckStockResponse>;
  reserve: UnaryHandler<ReserveRequest, ReserveResponse>;
  release: UnaryHandler<ReleaseRequest, ReleaseResponse>;
  commit: UnaryHandler<CommitRequest, CommitResponse>;
} {
  return {
    async checkStock(call) {
      const ids = call.request.productIds;
      if (ids.length === 0 || ids.length > MAX_ITEMS) {
        throw new GrpcError(status.INVALID_ARGUMENT, `product_ids must list 1 to ${MAX_ITEMS} ids`);
      }
      return { levels: await grpcUnavailable(() => inventory.checkStock(ids.map(productId))) };
    },
    async reserve(call) {
      const { reservationId: id, items, ttlSeconds } = call.request;
      const r = await grpcUnavailable(() => inventory.reserve(reservationId(id), requestedItems(items), ttlSeconds));
      return { reservation: reservationMessage(r.key, r.state) };
    },
    async release(call) {
      const r = await grpcUnavailable(() => inventory.release(reservationId(call.request.reservationId)));
      return { reservation: reservationMessage(r.key, r.state) };
    },
    async commit(call) {
      const r = await grpcUnavailable(() => inventory.commit(reservationId(call.request.reservationId)));
      return { reservation: reservationMessage(r.key, r.state) };
    },
  };
}
