/**
 * Stock changes on one product, each a new product revision and each idempotent by
 * reservation id: the product records which reservations hold part of its stock
 * (`holds`) and which sold quantities came back (`returns`) in the same revision that
 * moves the stock. Repeating a move, or two replicas racing on it, never counts twice,
 * and two reservations racing for the last unit cannot both get it.
 */
import { lowStockCounter } from './metrics.ts';
import type { ProductState } from './models.ts';
import { pendingEvent } from './pending-events.ts';
import type { Change, Current, VersionedStore } from './versioned-store.ts';

export type TakeResult = { ok: true } | { ok: false; reason: 'short'; available: number } | { ok: false; reason: 'missing' };

type Product = Current<ProductState> | null;

export class StockMoves {
  constructor(private readonly products: VersionedStore<ProductState>) {}

  /**
   * Takes `quantity` for reservation `r`, never below zero. A take that makes the product
   * fall to or below its low-stock threshold records inventory.low_stock with it.
   */
  async take(productId: string, r: string, quantity: number): Promise<TakeResult> {
    const result = await this.products.change(productId, (current): Change<ProductState, TakeResult & { low?: boolean }> => {
      const p = current?.state;
      if (!p || (p.deletedAt && !p.holds.includes(r))) return { result: { ok: false, reason: 'missing' } };
      if (p.holds.includes(r)) return { result: { ok: true } };
      if (p.stock < quantity) return { result: { ok: false, reason: 'short', available: p.stock } };
      const stock = p.stock - quantity;
      const low = p.stock > p.lowStockThreshold && stock <= p.lowStockThreshold;
      const at = new Date();
      const event = pendingEvent(
        'inventory.low_stock',
        { productId, name: p.name, available: stock, threshold: p.lowStockThreshold, at: at.toISOString() },
        at,
      );
      return { state: { ...p, stock, holds: [...p.holds, r] }, events: low ? [event] : [], result: { ok: true, low } };
    });
    if ('low' in result && result.low) lowStockCounter.inc();
    return result.ok ? { ok: true } : result;
  }

  /** Puts back what `r` holds of this product, once. */
  async giveBack(productId: string, r: string, quantity: number): Promise<void> {
    await this.products.change(productId, (current) =>
      this.ifHeld(current, r, (p) => ({ ...p, stock: p.stock + quantity, holds: p.holds.filter((h) => h !== r) })),
    );
  }

  /** Marks what `r` holds as sold: the stock stays taken, the hold goes. */
  async dropHold(productId: string, r: string): Promise<void> {
    await this.products.change(productId, (current) =>
      this.ifHeld(current, r, (p) => ({ ...p, holds: p.holds.filter((h) => h !== r) })),
    );
  }

  /** Puts back what committed reservation `r` sold of this product, once. */
  async returnSold(productId: string, r: string, quantity: number): Promise<void> {
    await this.products.change(productId, (current) => {
      const p = current?.state;
      if (!p || p.returns.includes(r)) return { result: undefined };
      return { state: { ...p, stock: p.stock + quantity, returns: [...p.returns, r] }, result: undefined };
    });
  }

  /** Forgets a return marker once no late duplicate of that return can arrive. */
  async forgetReturn(productId: string, r: string): Promise<void> {
    await this.products.change(productId, (current) => {
      const p = current?.state;
      if (!p?.returns.includes(r)) return { result: undefined };
      return { state: { ...p, returns: p.returns.filter((x) => x !== r) }, result: undefined };
    });
  }

  /** Products that hold stock for reservations, as their heads show them. */
  async holders(limit: number): Promise<Array<{ _id: string; holds: string[] }>> {
    return this.products.heads
      .find({ 'holds.0': { $exists: true } }, { holds: 1 })
      .limit(limit)
      .lean<Array<{ _id: string; holds: string[] }>>();
  }

  private ifHeld(current: Product, r: string, next: (p: ProductState) => ProductState): Change<ProductState, undefined> {
    const p = current?.state;
    if (!p?.holds.includes(r)) return { result: undefined };
    return { state: next(p), result: undefined };
  }
}
