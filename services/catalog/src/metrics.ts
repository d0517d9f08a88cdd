/** catalog's business metrics (docs/CONTRACTS.md). */
import { counter } from '@meshmart/kit';

/** Reservations reaching a settled state: held, out_of_stock, interrupted, committed, released, expired, returned. */
export const reservationsCounter = counter(
  'catalog_reservations_total',
  'Reservations that reached a settled state, by outcome',
  ['outcome'] as const,
);

/** Products whose available stock fell to or below their low-stock threshold. */
export const lowStockCounter = counter('catalog_low_stock_total', 'Times a product fell to or below its low-stock threshold');
