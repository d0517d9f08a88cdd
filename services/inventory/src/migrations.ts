import { type Migration, outboxMigration, outboxParkingMigration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'stock, reservations and movements',
    sql: `
      -- available + held is what the warehouse has; sold stock has left both. The CHECKs
      -- are the last line against oversell: a move that would break one fails whole.
      CREATE TABLE stock (
        product_id text PRIMARY KEY,
        available integer NOT NULL CHECK (available >= 0),
        held integer NOT NULL DEFAULT 0 CHECK (held >= 0),
        low_stock_threshold integer NOT NULL CHECK (low_stock_threshold >= 0),
        -- +1 per change of this row's quantities; carried by inventory.stock_changed.
        revision bigint NOT NULL DEFAULT 1,
        -- From product.* events (catalog owns names), for low-stock alerts; null until one arrives.
        name text,
        name_revision integer NOT NULL DEFAULT 0,
        deleted_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- lines: [{ productId, quantity }] sorted by product id, so a repeated Reserve is
      -- recognised by equality. A Release that arrives before its Reserve leaves a
      -- released row with no lines: the late Reserve then holds nothing.
      CREATE TABLE reservations (
        id text PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('held', 'committed', 'released', 'expired', 'returned')),
        lines jsonb NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX reservations_held_expiry ON reservations (expires_at) WHERE status = 'held';

      CREATE TABLE stock_movements (
        id bigserial PRIMARY KEY,
        product_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('seed', 'create', 'adjust', 'reserve', 'release', 'expire', 'commit', 'return')),
        reservation_id text,
        available_delta integer NOT NULL,
        held_delta integer NOT NULL,
        -- Who adjusted (user id) for admin changes.
        actor text,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX stock_movements_product ON stock_movements (product_id, id DESC);

      CREATE TABLE meta (key text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
    `,
  },
  outboxMigration,
  outboxParkingMigration,
];
