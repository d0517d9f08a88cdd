/** inventory's business metrics (docs/CONTRACTS.md). */
import { counter } from '@meshmart/kit';

/** Reservation outcomes: held, out_of_stock, committed, released, expired, returned. */
export const reservationsCounter = counter('inventory_reservations_total', 'Reservations that reached a state, by outcome', [
  'outcome',
] as const);

/** Products whose available stock fell to or below their low-stock threshold. */
export const lowStockCounter = counter('inventory_low_stock_total', 'Times a product fell to or below its low-stock threshold');
