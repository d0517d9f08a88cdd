/**
 * Recommendation lists, read from the counts at request time (so they are as fresh as
 * the last event applied). "Bought together" scores a pair by cosine similarity:
 * orders holding both / sqrt(orders of one × orders of the other), so a best-seller that
 * is in every basket does not top every list. Gaps are filled with the category's
 * best-sellers, then the store's. Only products known, not deleted and not known to be
 * out of stock are recommended, and never the product asked about or what the user
 * bought already.
 */
import type pg from 'pg';

export type Source = 'bought_together' | 'category_best_seller' | 'best_seller';

export interface Recommended {
  productId: string;
  name: string;
  category: string;
  priceMinor: number;
  currency: string;
  score: number;
  source: Source;
}

interface Row {
  product_id: string;
  name: string;
  category: string;
  price_minor: string;
  currency: string;
  score: number;
}

/** Stock not heard of yet is not "out of stock": only a stock event saying 0 is. */
const RECOMMENDABLE = 'p.name IS NOT NULL AND NOT p.deleted AND coalesce(p.available, 1) > 0';

const toRecommended =
  (source: Source) =>
  (r: Row): Recommended => ({
    productId: r.product_id,
    name: r.name,
    category: r.category,
    priceMinor: Number(r.price_minor),
    currency: r.currency,
    score: Math.round(r.score * 10_000) / 10_000,
    source,
  });

export class Recommender {
  constructor(
    private readonly pool: pg.Pool,
    private readonly minSharedOrders: number,
  ) {}

  /** Products bought with `productId`; best-sellers after them. Empty for an unknown product. */
  async boughtTogether(productId: string, limit: number): Promise<Recommended[]> {
    const together = await this.related([productId], [productId], limit);
    const category = await this.pool.query<{ category: string | null }>('SELECT category FROM products WHERE product_id = $1', [
      productId,
    ]);
    const categories = category.rows[0]?.category ? [category.rows[0].category] : [];
    return this.fill(together, [productId], categories, limit);
  }

  /** From the user's paid orders, never what they bought; the best-sellers for a user without any. */
  async forUser(userId: string, limit: number): Promise<Recommended[]> {
    const owned = await this.pool.query<{ product_id: string; category: string | null }>(
      `SELECT u.product_id, p.category FROM purchases u LEFT JOIN products p USING (product_id)
       WHERE u.user_id = $1 AND u.orders > 0`,
      [userId],
    );
    const ownedIds = owned.rows.map((r) => r.product_id);
    const together = ownedIds.length > 0 ? await this.related(ownedIds, ownedIds, limit) : [];
    const categories = [...new Set(owned.rows.flatMap((r) => (r.category ? [r.category] : [])))];
    return this.fill(together, ownedIds, categories, limit);
  }

  private async related(from: string[], exclude: string[], limit: number): Promise<Recommended[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT p.product_id, p.name, p.category, p.price_minor::text, p.currency,
              sum(pr.orders / sqrt(a.orders::float8 * b.orders::float8)) AS score
       FROM pairs pr
       JOIN product_orders a ON a.product_id = pr.product_id AND a.orders > 0
       JOIN product_orders b ON b.product_id = pr.other_id AND b.orders > 0
       JOIN products p ON p.product_id = pr.other_id
       WHERE pr.product_id = ANY($1) AND pr.orders >= $3 AND NOT (p.product_id = ANY($2)) AND ${RECOMMENDABLE}
       GROUP BY p.product_id
       ORDER BY score DESC, p.product_id
       LIMIT $4`,
      [from, exclude, this.minSharedOrders, limit],
    );
    return rows.map(toRecommended('bought_together'));
  }

  private async fill(found: Recommended[], exclude: string[], categories: string[], limit: number): Promise<Recommended[]> {
    const out = [...found];
    const taken = () => [...exclude, ...out.map((r) => r.productId)];
    if (out.length < limit && categories.length > 0) {
      out.push(...(await this.bestSellers(taken(), categories, limit - out.length)).map(toRecommended('category_best_seller')));
    }
    if (out.length < limit) {
      out.push(...(await this.bestSellers(taken(), null, limit - out.length)).map(toRecommended('best_seller')));
    }
    return out;
  }

  private async bestSellers(exclude: string[], categories: string[] | null, limit: number): Promise<Row[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT p.product_id, p.name, p.category, p.price_minor::text, p.currency, po.orders::float8 AS score
       FROM product_orders po JOIN products p USING (product_id)
       WHERE po.orders > 0 AND NOT (p.product_id = ANY($1)) AND ($2::text[] IS NULL OR p.category = ANY($2))
         AND ${RECOMMENDABLE}
       ORDER BY po.orders DESC, p.product_id
       LIMIT $3`,
      [exclude, categories, limit],
    );
    return rows;
  }
}
