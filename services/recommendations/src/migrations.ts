import type { Migration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'products, stock, orders counted, purchases, co-occurrence',
    sql: `
      -- What may be recommended: product and stock state at their highest revisions, as
      -- search keeps them. A deleted product stays as a tombstone.
      CREATE TABLE products (
        product_id text PRIMARY KEY,
        name text,
        category text,
        price_minor bigint,
        currency text,
        product_revision integer NOT NULL DEFAULT 0,
        deleted boolean NOT NULL DEFAULT false,
        available integer,
        stock_revision integer NOT NULL DEFAULT 0
      );

      -- Each order counts once: 'paid' when its lines were added, 'cancelled' when they
      -- were taken away again, or when the cancellation came first and the payment must
      -- not count at all.
      CREATE TABLE orders_counted (
        order_id text PRIMARY KEY,
        user_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('paid', 'cancelled')),
        product_ids text[] NOT NULL,
        counted_at timestamptz NOT NULL DEFAULT now()
      );

      -- Paid orders per product (not quantities: one buyer of ten is one vote).
      CREATE TABLE product_orders (
        product_id text PRIMARY KEY,
        orders integer NOT NULL CHECK (orders >= 0)
      );

      -- Paid orders holding both products, stored in both directions for one-sided reads.
      CREATE TABLE pairs (
        product_id text NOT NULL,
        other_id text NOT NULL,
        orders integer NOT NULL CHECK (orders >= 0),
        PRIMARY KEY (product_id, other_id)
      );

      -- Paid orders per user and product, for "for you" and to leave out what they own.
      CREATE TABLE purchases (
        user_id text NOT NULL,
        product_id text NOT NULL,
        orders integer NOT NULL CHECK (orders >= 0),
        PRIMARY KEY (user_id, product_id)
      );
    `,
  },
];
