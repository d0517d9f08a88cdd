/**
 * Orders into co-occurrence counts, per event. Each order counts once: its id is claimed
 * in the same statement that adds its lines, and a cancellation takes away exactly
 * what its payment added. A cancellation that arrives before its payment (deliveries
 * are unordered) is remembered, and the payment then counts nothing.
 */
import { type EventData, inTransaction } from '@meshmart/kit';
import type pg from 'pg';

type OrderEvent = EventData<'order.paid'> | EventData<'order.cancelled'>;

/** Each product once per order, sorted so that concurrent orders lock rows in one order. */
export function distinctProducts(order: Pick<OrderEvent, 'lines'>): string[] {
  return [...new Set(order.lines.map((l) => l.productId))].sort();
}

/** The rows exist: the payment being undone made them. */
async function removeOrder(client: pg.PoolClient, userId: string, productIds: string[]): Promise<void> {
  await client.query('UPDATE product_orders SET orders = orders - 1 WHERE product_id = ANY($1)', [productIds]);
  await client.query(
    'UPDATE pairs SET orders = orders - 1 WHERE product_id = ANY($1) AND other_id = ANY($1) AND product_id <> other_id',
    [productIds],
  );
  await client.query('UPDATE purchases SET orders = orders - 1 WHERE user_id = $1 AND product_id = ANY($2)', [
    userId,
    productIds,
  ]);
}

export class OrderCounts {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Adds a paid order, in one statement: the claim of its id, then (only if the claim
   * took) its products, its pairs and the buyer's purchases. False when it was counted
   * (or cancelled) before.
   */
  async paid(order: EventData<'order.paid'>): Promise<boolean> {
    const { rows } = await this.pool.query<{ counted: number }>({
      name: 'recommendations.paid',
      text: `WITH claimed AS (
          INSERT INTO orders_counted (order_id, user_id, status, product_ids) VALUES ($1, $2, 'paid', $3)
          ON CONFLICT (order_id) DO NOTHING RETURNING product_ids
        ), learnt AS (
          -- A product created before this service subscribed is learnt from its first sale
          -- (no category yet); its next product event fills in the rest.
          INSERT INTO products (product_id, name, price_minor, currency)
          SELECT DISTINCT ON (line->>'productId') line->>'productId', line->>'name', (line->>'unitPriceMinor')::bigint, $5
          FROM jsonb_array_elements($4::jsonb) AS line WHERE EXISTS (SELECT 1 FROM claimed)
          ON CONFLICT (product_id) DO UPDATE SET
            name = EXCLUDED.name, price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency
          WHERE products.product_revision = 0 AND products.name IS NULL AND NOT products.deleted
        ), ordered AS (
          -- The three counts are written in the order cancelled() takes them back, each
          -- only once the whole of the one before is (the count(*) of its RETURNING): a
          -- payment and a cancellation that share products then lock rows in one order
          -- and cannot deadlock. PostgreSQL runs data-modifying CTEs nothing reads last,
          -- in reverse order of listing.
          INSERT INTO product_orders (product_id, orders)
          SELECT id, 1 FROM claimed, unnest(claimed.product_ids) AS id ORDER BY id
          ON CONFLICT (product_id) DO UPDATE SET orders = product_orders.orders + 1
          RETURNING 1
        ), paired AS (
          INSERT INTO pairs (product_id, other_id, orders)
          SELECT a, b, 1 FROM claimed, unnest(claimed.product_ids) AS a, unnest(claimed.product_ids) AS b
          WHERE a <> b AND (SELECT count(*) FROM ordered) >= 0 ORDER BY a, b
          ON CONFLICT (product_id, other_id) DO UPDATE SET orders = pairs.orders + 1
          RETURNING 1
        ), bought AS (
          INSERT INTO purchases (user_id, product_id, orders)
          SELECT $2, id, 1 FROM claimed, unnest(claimed.product_ids) AS id
          WHERE (SELECT count(*) FROM paired) >= 0 ORDER BY id
          ON CONFLICT (user_id, product_id) DO UPDATE SET orders = purchases.orders + 1
          RETURNING 1
        )
        SELECT count(*)::int AS counted FROM claimed WHERE (SELECT count(*) FROM bought) >= 0`,
      values: [order.orderId, order.userId, distinctProducts(order), JSON.stringify(order.lines), order.currency],
    });
    return rows[0]?.counted === 1;
  }

  /** Takes a paid order away again; false when there was nothing to take away. */
  cancelled(order: EventData<'order.cancelled'>): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const first = await client.query(
        `INSERT INTO orders_counted (order_id, user_id, status, product_ids) VALUES ($1, $2, 'cancelled', $3)
         ON CONFLICT (order_id) DO NOTHING`,
        [order.orderId, order.userId, distinctProducts(order)],
      );
      if (first.rowCount === 1) return false;
      const undone = await client.query<{ user_id: string; product_ids: string[] }>(
        `UPDATE orders_counted SET status = 'cancelled', counted_at = now()
         WHERE order_id = $1 AND status = 'paid' RETURNING user_id, product_ids`,
        [order.orderId],
      );
      const row = undone.rows[0];
      if (!row) return false;
      await removeOrder(client, row.user_id, row.product_ids);
      return true;
    });
  }
}
