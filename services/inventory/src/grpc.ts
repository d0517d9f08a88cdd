/** gRPC InventoryService, reached with `dapr-app-id: inventory`. */
import type { FaultFlags, UnaryHandler } from '@meshmart/kit';
import {
  type CommitRequest,
  type CommitResponse,
  type GetStockRequest,
  type GetStockResponse,
  type ReleaseRequest,
  type ReleaseResponse,
  type Reservation as ReservationMessage,
  ReservationStatus,
  type ReserveRequest,
  type ReserveResponse,
} from '@meshmart/proto/inventory/v1/inventory';
import type { Ledger, Reservation } from './ledger.ts';
import { productIds, requestedLines, reservationId } from './schemas.ts';

const statusOf: Record<Reservation['status'], ReservationStatus> = {
  held: ReservationStatus.RESERVATION_STATUS_HELD,
  committed: ReservationStatus.RESERVATION_STATUS_COMMITTED,
  released: ReservationStatus.RESERVATION_STATUS_RELEASED,
  expired: ReservationStatus.RESERVATION_STATUS_EXPIRED,
  returned: ReservationStatus.RESERVATION_STATUS_RETURNED,
};

export function reservationMessage(r: Reservation): ReservationMessage {
  return { reservationId: r.id, status: statusOf[r.status], lines: r.lines, expiresAt: r.expiresAt.toISOString() };
}

export function inventoryHandlers(
  ledger: Ledger,
  faults?: Pick<FaultFlags, 'delay'>,
): {
  getStock: UnaryHandler<GetStockRequest, GetStockResponse>;
  reserve: UnaryHandler<ReserveRequest, ReserveResponse>;
  release: UnaryHandler<ReleaseRequest, ReleaseResponse>;
  commit: UnaryHandler<CommitRequest, CommitResponse>;
} {
  return {
    async getStock(call) {
      return { stock: await ledger.getStock(productIds(call.request.productIds)) };
    },
    async reserve(call) {
      const { reservationId: id, items, ttlSeconds } = call.request;
      const r = await ledger.reserve(reservationId(id), requestedLines(items), ttlSeconds);
      return { reservation: reservationMessage(r) };
    },
    async release(call) {
      const r = await ledger.release(reservationId(call.request.reservationId));
      return { reservation: reservationMessage(r) };
    },
    async commit(call) {
      const r = await ledger.commit(reservationId(call.request.reservationId));
      // The stock is sold from here on; a crash now leaves orders asking again.
      await faults?.delay('inventory.commit-delay-ms');
      return { reservation: reservationMessage(r) };
    },
  };
}
