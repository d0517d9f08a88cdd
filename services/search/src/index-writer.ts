/**
 * Writes to the product index. Events arrive at least once and in any order (RabbitMQ
 * redelivers, Dapr delivers concurrently), so every write is conditional: product state
 * only moves to a higher product revision, stock only to a higher stock revision, and a
 * repeated or older event changes nothing. Each write says whether it applied.
 */
import type { EventData } from '@meshmart/kit';
import type pg from 'pg';

export type ProductEvent = EventData<'product.updated'>;
export type DeletedEvent = EventData<'product.deleted'>;
export type StockEvent = EventData<'inventory.stock_changed'>;

/** A product as catalog lists it, read by a rebuild. */
export interface CatalogProduct {
  id: string;
  name: string;
  category: string;
  description: string;
  priceMinor: number;
  currency: string;
  updatedAt: string;
  /** Catalog's own stock, while it still has one; inventory's events take over once seen. */
  stock?: number;
}

/** What catalog owns of a product, written alike by its events and by a rebuild's snapshot. */
const CATALOG_COLUMNS = 'name, category, description, price_minor, currency';
const SET_CATALOG_COLUMNS = `name = EXCLUDED.name, category = EXCLUDED.category, description = EXCLUDED.description,
  price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency, product_at = EXCLUDED.product_at`;
/** Neither writes over a tombstone or over a state written after it. */
const NOT_DELETED_OR_NEWER =
  'NOT products.deleted AND (products.product_at IS NULL OR products.product_at <= EXCLUDED.product_at)';

export class IndexWriter {
  constructor(private readonly pool: pg.Pool) {}

  async applyProduct(e: ProductEvent): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, ${CATALOG_COLUMNS}, product_at, product_revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (product_id) DO UPDATE SET
         ${SET_CATALOG_COLUMNS}, product_revision = EXCLUDED.product_revision, indexed_at = now()
       WHERE products.product_revision < EXCLUDED.product_revision AND ${NOT_DELETED_OR_NEWER}`,
      [e.productId, e.name, e.category, e.description, e.priceMinor, e.currency, e.at, e.revision],
    );
    return result.rowCount === 1;
  }

  async applyDeleted(e: DeletedEvent): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, product_revision, product_at, deleted)
       VALUES ($1, $2, $3, true)
       ON CONFLICT (product_id) DO UPDATE SET
         deleted = true, product_revision = GREATEST(products.product_revision, EXCLUDED.product_revision),
         product_at = EXCLUDED.product_at, indexed_at = now()
       WHERE NOT products.deleted`,
      [e.productId, e.revision, e.at],
    );
    return result.rowCount === 1;
  }

  async applyStock(e: StockEvent): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, available, stock_revision)
       VALUES ($1, $2, $3)
       ON CONFLICT (product_id) DO UPDATE SET
         available = EXCLUDED.available, stock_revision = EXCLUDED.stock_revision, indexed_at = now()
       WHERE products.stock_revision < EXCLUDED.stock_revision`,
      [e.productId, e.available, e.revision],
    );
    return result.rowCount === 1;
  }

  /**
   * A catalog snapshot carries no revision, only when it was written. It applies over a
   * state written before it and never over a newer one, so an event still in flight
   * when the rebuild read catalog wins if it is newer and loses if it is older. The
   * revision held stays, and the next event, whose revision is higher, applies.
   */
  async applySnapshot(p: CatalogProduct): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, ${CATALOG_COLUMNS}, product_at, available)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (product_id) DO UPDATE SET
         ${SET_CATALOG_COLUMNS},
         available = CASE WHEN products.stock_revision = 0 THEN EXCLUDED.available ELSE products.available END,
         indexed_at = now()
       WHERE ${NOT_DELETED_OR_NEWER}`,
      [p.id, p.name, p.category, p.description, p.priceMinor, p.currency, p.updatedAt, p.stock ?? null],
    );
    return result.rowCount === 1;
  }

  /** Products the index shows that a rebuild did not see in catalog: candidates for removal. */
  async unseenSince(rebuildStartedAt: Date, seen: ReadonlySet<string>): Promise<string[]> {
    const result = await this.pool.query<{ product_id: string }>(
      `SELECT product_id FROM products
       WHERE name IS NOT NULL AND NOT deleted AND (product_at IS NULL OR product_at < $1)`,
      [rebuildStartedAt],
    );
    return result.rows.map((r) => r.product_id).filter((id) => !seen.has(id));
  }

  /** Catalog says the product is gone; the tombstone keeps any later stray event out. */
  async removeMissing(productId: string): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE products SET deleted = true, indexed_at = now() WHERE product_id = $1 AND NOT deleted',
      [productId],
    );
    return result.rowCount === 1;
  }
}
