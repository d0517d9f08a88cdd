/**
 * What may be recommended: each product's state and stock at their highest revisions.
 * Events arrive at least once and in any order, so every write is conditional on the
 * revision, as in search; a deleted product stays as a tombstone.
 */
import type { EventData } from '@meshmart/kit';
import type pg from 'pg';

export class CatalogView {
  constructor(private readonly pool: pg.Pool) {}

  async product(e: EventData<'product.updated'>): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, name, category, price_minor, currency, product_revision)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (product_id) DO UPDATE SET
         name = EXCLUDED.name, category = EXCLUDED.category, price_minor = EXCLUDED.price_minor,
         currency = EXCLUDED.currency, product_revision = EXCLUDED.product_revision
       WHERE products.product_revision < EXCLUDED.product_revision AND NOT products.deleted`,
      [e.productId, e.name, e.category, e.priceMinor, e.currency, e.revision],
    );
    return result.rowCount === 1;
  }

  async deleted(e: EventData<'product.deleted'>): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, product_revision, deleted) VALUES ($1, $2, true)
       ON CONFLICT (product_id) DO UPDATE SET deleted = true,
         product_revision = GREATEST(products.product_revision, EXCLUDED.product_revision)
       WHERE NOT products.deleted`,
      [e.productId, e.revision],
    );
    return result.rowCount === 1;
  }

  async stock(e: EventData<'inventory.stock_changed'>): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO products (product_id, available, stock_revision) VALUES ($1, $2, $3)
       ON CONFLICT (product_id) DO UPDATE SET available = EXCLUDED.available, stock_revision = EXCLUDED.stock_revision
       WHERE products.stock_revision < EXCLUDED.stock_revision`,
      [e.productId, e.available, e.revision],
    );
    return result.rowCount === 1;
  }
}
