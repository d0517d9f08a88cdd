/** inventory's REST API for admins (its checkout API is gRPC: proto/meshmart/inventory/v1). */
import { z } from 'zod';
import { wholeNumber } from './common.ts';

export const MAX_STOCK = 1_000_000;

const stockCount = z.number().int().min(0).max(MAX_STOCK);

/** PUT /stock/:productId: what can be reserved from now on, and optionally the low-stock threshold. */
export const stockRequest = z.strictObject({ stock: stockCount, lowStockThreshold: stockCount.optional() });

/** GET /stock/:productId/movements */
export const movementsQuery = z.strictObject({ limit: wholeNumber(1, 500).default(50) });

export const stockLevel = z.object({
  productId: z.string(),
  available: z.number().int().describe('what can be reserved now'),
  held: z.number().int().describe('held by reservations not yet committed, released or expired'),
  lowStockThreshold: z.number().int(),
  revision: z.number().int().describe('grows with every change of this stock'),
});
export type StockLevel = z.infer<typeof stockLevel>;

export const movementKinds = ['seed', 'create', 'adjust', 'reserve', 'release', 'expire', 'commit', 'return'] as const;

export const stockMovements = z.object({
  items: z.array(
    z.object({
      kind: z.enum(movementKinds),
      reservationId: z.string().nullable(),
      availableDelta: z.number().int(),
      heldDelta: z.number().int(),
      actor: z.string().nullable().describe('the admin who adjusted'),
      at: z.iso.datetime(),
    }),
  ),
});
export type StockMovements = z.infer<typeof stockMovements>;

/**
 * Codes of inventory's gRPC answers, in the `meshmart-error-code` trailer next to the
 * status; the status details then name the items.
 */
export const inventoryErrors = {
  /** FAILED_PRECONDITION on Reserve: some items have less available than requested. */
  insufficientStock: 'insufficient_stock',
} as const;
