/** How catalog's documents look to its callers: REST JSON and gRPC messages. */
import { type Reservation, ReservationStatus } from '@meshmart/proto/catalog/v1/inventory';
import type { CategoryDoc, ProductState, ReservationState } from './models.ts';

export interface ProductView {
  id: string;
  name: string;
  description: string;
  category: string;
  priceMinor: number;
  currency: string;
  images: string[];
  attributes: Record<string, string>;
  stock: number;
  lowStockThreshold: number;
  createdAt: string;
  updatedAt: string;
}

export function productView(id: string, p: ProductState): ProductView {
  return {
    id,
    name: p.name,
    description: p.description,
    category: p.category,
    priceMinor: p.priceMinor,
    currency: p.currency,
    images: p.images,
    attributes: p.attributes,
    stock: p.stock,
    lowStockThreshold: p.lowStockThreshold,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export interface CategoryView {
  id: string;
  name: string;
  productCount: number;
}

export function categoryView(c: CategoryDoc, productCount: number): CategoryView {
  return { id: c._id, name: c.name, productCount };
}

const statuses: Partial<Record<ReservationState['status'], ReservationStatus>> = {
  held: ReservationStatus.RESERVATION_STATUS_HELD,
  committed: ReservationStatus.RESERVATION_STATUS_COMMITTED,
  released: ReservationStatus.RESERVATION_STATUS_RELEASED,
  expired: ReservationStatus.RESERVATION_STATUS_EXPIRED,
  // A failed reservation holds nothing, which is what releasing it would achieve.
  failed: ReservationStatus.RESERVATION_STATUS_RELEASED,
};

export function reservationMessage(id: string, r: ReservationState): Reservation {
  return {
    reservationId: id,
    status: statuses[r.status] ?? ReservationStatus.RESERVATION_STATUS_UNSPECIFIED,
    lines: r.lines.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      unitPriceMinor: l.unitPriceMinor,
      currency: l.currency,
      name: l.name,
    })),
    expiresAt: r.expiresAt.toISOString(),
  };
}
