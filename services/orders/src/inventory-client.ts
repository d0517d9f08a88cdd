/**
 * catalog's InventoryService through orders' own sidecar (`dapr-app-id: catalog`), as the
 * saga's Inventory. Domain answers become outcomes; every other failure is transient,
 * because each call is idempotent by reservation id and may simply be made again.
 */
import { status } from '@grpc/grpc-js';
import { Problem, problemFromGrpc, unary } from '@meshmart/kit';
import type { InventoryServiceClient } from '@meshmart/proto/catalog/v1/inventory';
import type { RequestedItem } from './order.ts';
import { type Inventory, type ReserveOutcome, TransientError } from './saga-ports.ts';

const codeOf = (err: unknown): number | undefined => (err as { code?: unknown }).code as number | undefined;
const detailsOf = (err: unknown): string => (err as { details?: string }).details || (err as Error).message;

/** A gRPC failure without a domain meaning; anything else (a bug) is passed on as it is. */
function transient(err: unknown): unknown {
  const code = codeOf(err);
  if (typeof code !== 'number') return err;
  return new TransientError(`catalog is unavailable (${status[code]})`, 'catalog_error', {
    cause: err,
    contended: code === status.ABORTED,
  });
}

export class CatalogInventory implements Inventory {
  constructor(
    private readonly client: InventoryServiceClient,
    private readonly timeouts: { lookupMs: number; stockMoveMs: number },
  ) {}

  /**
   * Refuses a checkout naming products catalog does not know, before anything is written.
   * Availability is not judged here: only Reserve decides that, atomically.
   */
  async assertProductsExist(productIds: string[]): Promise<void> {
    try {
      await unary(this.client.checkStock.bind(this.client), { productIds }, this.timeouts.lookupMs);
    } catch (err) {
      if (codeOf(err) === status.NOT_FOUND) {
        throw new Problem(422, 'unknown-product', 'Unknown product', {
          detail: detailsOf(err),
          errors: [{ field: 'items', message: detailsOf(err) }],
        });
      }
      throw problemFromGrpc(err, 'catalog');
    }
  }

  async reserve(reservationId: string, items: RequestedItem[], ttlSeconds: number): Promise<ReserveOutcome> {
    try {
      const { reservation } = await unary(
        this.client.reserve.bind(this.client),
        { reservationId, items, ttlSeconds },
        this.timeouts.stockMoveMs,
      );
      const lines = (reservation?.lines ?? []).map((l) => ({
        productId: l.productId,
        name: l.name,
        quantity: l.quantity,
        unitPriceMinor: l.unitPriceMinor,
        currency: l.currency,
      }));
      return { kind: 'reserved', lines };
    } catch (err) {
      const code = codeOf(err);
      // catalog words it "insufficient stock: <items>"; the buyer reads "out of stock: <items>".
      if (code === status.FAILED_PRECONDITION) {
        return { kind: 'out_of_stock', detail: detailsOf(err).replace(/^insufficient stock:\s*/i, '') };
      }
      if (code === status.NOT_FOUND) return { kind: 'unknown_product', detail: detailsOf(err) };
      throw transient(err);
    }
  }

  async commit(reservationId: string): Promise<'committed' | 'gone'> {
    try {
      await unary(this.client.commit.bind(this.client), { reservationId }, this.timeouts.stockMoveMs);
      return 'committed';
    } catch (err) {
      const code = codeOf(err);
      if (code === status.FAILED_PRECONDITION || code === status.NOT_FOUND) return 'gone';
      throw transient(err);
    }
  }

  async release(reservationId: string): Promise<'released' | 'committed'> {
    try {
      await unary(this.client.release.bind(this.client), { reservationId }, this.timeouts.stockMoveMs);
      return 'released';
    } catch (err) {
      const code = codeOf(err);
      if (code === status.FAILED_PRECONDITION) return 'committed';
      if (code === status.NOT_FOUND) return 'released';
      throw transient(err);
    }
  }
}
