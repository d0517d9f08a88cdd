/**
 * The saga's Inventory: stock from inventory's InventoryService (`dapr-app-id:
 * inventory`), names and prices from catalog's REST API, both through orders' own
 * sidecar; prices stay catalog's (see `Quote`). Domain answers become outcomes; every
 * other failure is transient, because each call is idempotent by reservation id and may
 * simply be made again.
 */

import { status } from '@grpc/grpc-js';
import { ordersErrors } from '@meshmart/contracts/orders';
import { classifyOutage, Problem, problems, type Sidecar, unary } from '@meshmart/kit';
import type { InventoryServiceClient } from '@meshmart/proto/inventory/v1/inventory';
import type { RequestedItem } from './order.ts';
import {
  type Inventory,
  type PricedProduct,
  type Quote,
  type ReservedLine,
  type ReserveOutcome,
  TransientError,
} from './saga-ports.ts';

const codeOf = (err: unknown): number | undefined => (err as { code?: unknown }).code as number | undefined;
const detailsOf = (err: unknown): string => (err as { details?: string }).details || (err as Error).message;

/** A gRPC failure without a domain meaning; anything else (a bug) is passed on as it is. */
function transient(err: unknown): unknown {
  const code = codeOf(err);
  if (typeof code !== 'number') return err;
  return new TransientError(`inventory is unavailable (${status[code]})`, 'inventory_error', {
    cause: err,
    contended: code === status.ABORTED,
  });
}

function isPricedProduct(body: unknown): body is PricedProduct {
  const p = body as Partial<PricedProduct>;
  return typeof p?.name === 'string' && Number.isSafeInteger(p.priceMinor) && typeof p.currency === 'string';
}

const unknownProducts = (missing: string[]) => `unknown products: ${missing.join(', ')}`;

export class StockAndPrices implements Inventory {
  constructor(
    private readonly inventory: InventoryServiceClient,
    private readonly sidecar: Sidecar,
    private readonly timeouts: { lookupMs: number; stockMoveMs: number },
  ) {}

  /**
   * Each product's name and price, read before anything is written: a product catalog
   * does not know makes the checkout a 422, and the saga prices the order from this quote.
   * Availability is not judged here: only Reserve decides that, atomically.
   */
  async quote(productIds: string[]): Promise<Quote> {
    const { products, missing } = await this.readPrices(productIds);
    if (missing.length > 0) {
      const detail = unknownProducts(missing);
      throw new Problem(422, 'unknown-product', 'Unknown product', {
        detail,
        errors: [{ field: 'items', message: detail }],
        code: ordersErrors.unknownProduct,
      });
    }
    return products;
  }

  /**
   * Without a quote, a product catalog does not know (read beside the hold) gives the hold
   * back.
   */
  async reserve(reservationId: string, items: RequestedItem[], ttlSeconds: number, quote?: Quote): Promise<ReserveOutcome> {
    const [priced, held] = await Promise.allSettled([
      quote ? { kind: 'priced' as const, products: quote } : this.prices(items.map((i) => i.productId)),
      unary(this.inventory.reserve.bind(this.inventory), { reservationId, items, ttlSeconds }, this.timeouts.stockMoveMs),
    ]);
    // A transient pricing failure keeps the hold: the saga asks again under the same id, or releases it when it gives up.
    if (priced.status === 'rejected') throw priced.reason;
    if (priced.value.kind === 'unknown_product') {
      // The outcome says nothing is held, so a hold made meanwhile goes back.
      if (held.status === 'fulfilled') await this.release(reservationId);
      return priced.value;
    }
    const products = priced.value.products;
    try {
      if (held.status === 'rejected') throw held.reason;
      const { reservation } = held.value;
      const lines: ReservedLine[] = (reservation?.lines ?? []).map((l) => {
        const p = products.get(l.productId) as PricedProduct;
        return { productId: l.productId, name: p.name, quantity: l.quantity, unitPriceMinor: p.priceMinor, currency: p.currency };
      });
      return { kind: 'reserved', lines };
    } catch (err) {
      const code = codeOf(err);
      // With insufficient_stock, inventory's details name the items; the buyer reads "out of stock: <items>".
      if (code === status.FAILED_PRECONDITION) return { kind: 'out_of_stock', detail: detailsOf(err) };
      if (code === status.NOT_FOUND) return { kind: 'unknown_product', detail: detailsOf(err) };
      throw transient(err);
    }
  }

  commit(reservationId: string): Promise<'committed' | 'gone'> {
    return this.settle('commit', reservationId, 'committed', {
      [status.FAILED_PRECONDITION]: 'gone',
      [status.NOT_FOUND]: 'gone',
    });
  }

  release(reservationId: string): Promise<'released' | 'committed'> {
    return this.settle('release', reservationId, 'released', {
      [status.FAILED_PRECONDITION]: 'committed',
      [status.NOT_FOUND]: 'released',
    });
  }

  /** Commits or releases a hold; the gRPC codes that say where the hold already is become outcomes. */
  private async settle<Outcome extends string>(
    move: 'commit' | 'release',
    reservationId: string,
    done: Outcome,
    already: Partial<Record<status, Outcome>>,
  ): Promise<Outcome> {
    try {
      await unary(this.inventory[move].bind(this.inventory), { reservationId }, this.timeouts.stockMoveMs);
      return done;
    } catch (err) {
      const outcome = already[codeOf(err) as status];
      if (outcome) return outcome;
      throw transient(err);
    }
  }

  /** The saga's price read: a catalog that is down or slow is a transient failure of the step. */
  private async prices(
    productIds: string[],
  ): Promise<{ kind: 'priced'; products: Quote } | { kind: 'unknown_product'; detail: string }> {
    try {
      const { products, missing } = await this.readPrices(productIds);
      if (missing.length > 0) return { kind: 'unknown_product', detail: unknownProducts(missing) };
      return { kind: 'priced', products };
    } catch (err) {
      if ((err instanceof Problem && err.status >= 500) || classifyOutage(err)) {
        throw new TransientError('catalog is unavailable', 'catalog_error', { cause: err });
      }
      throw err;
    }
  }

  /** Each product's name and price from catalog, read at once, and the ids catalog does not know. */
  private async readPrices(productIds: string[]): Promise<{ products: Map<string, PricedProduct>; missing: string[] }> {
    const ids = [...new Set(productIds)];
    const answers = await Promise.all(
      ids.map(async (id) => {
        try {
          const { body } = await this.sidecar.invoke('catalog', `/products/${encodeURIComponent(id)}`, {
            timeoutMs: this.timeouts.lookupMs,
          });
          if (!isPricedProduct(body)) throw problems.unavailable('catalog answered without a price', body);
          return [id, body] as const;
        } catch (err) {
          if (err instanceof Problem && err.status === 404) return [id, undefined] as const;
          throw err;
        }
      }),
    );
    const products = new Map<string, PricedProduct>();
    for (const [id, product] of answers) if (product) products.set(id, product);
    return { products, missing: answers.filter(([, p]) => !p).map(([id]) => id) };
  }
}
