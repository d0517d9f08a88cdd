/** The two versioned stores catalog keeps, wired to their collections. */
import type { Logger } from '@meshmart/kit';
import type { CatalogModels, ProductState, ReservationState, ReservationStatus } from './models.ts';
import { VersionedStore } from './versioned-store.ts';

/** Reservations in these states hold nothing in motion: nothing will happen to them unless a caller asks. */
export const SETTLED: ReadonlySet<ReservationStatus> = new Set(['committed', 'released', 'failed', 'expired']);

export function productStore(models: CatalogModels, logger: Logger, onEvents?: () => void): VersionedStore<ProductState> {
  return new VersionedStore<ProductState>(
    {
      revisions: models.productRevisions,
      heads: models.products,
      outbox: models.productOutbox,
      superseded: models.productSuperseded,
    },
    logger,
    onEvents,
  );
}

export function reservationStore(models: CatalogModels, logger: Logger): VersionedStore<ReservationState> {
  return new VersionedStore<ReservationState>(
    {
      revisions: models.reservationRevisions,
      heads: models.reservations,
      open: models.openReservations,
      isOpen: (state) => !SETTLED.has(state.status),
      archive: models.reservationArchive,
      claims: models.reservationIds,
    },
    logger,
  );
}
