import { type Migration, outboxMigration, outboxParkingMigration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'orders, timeline and payment events',
    sql: `
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        user_email text NOT NULL,
        idempotency_key text NOT NULL,
        fingerprint text NOT NULL,
        items jsonb NOT NULL,
        shipping_address jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'paid', 'failed', 'cancelled')),
        step text NOT NULL
          CHECK (step IN ('reserving', 'charging', 'committing', 'refunding', 'releasing', 'cancelling', 'done')),
        reason text,
        failure_class text,
        lines jsonb NOT NULL DEFAULT '[]',
        total_minor bigint NOT NULL DEFAULT 0 CHECK (total_minor >= 0),
        currency char(3),
        payment_id text,
        refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
        -- The runner that owns the saga now, and until when; an expired lease means its
        -- process died and the recovery loop may take the order over.
        lease_token uuid,
        lease_until timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orders_idempotency_key UNIQUE (user_id, idempotency_key)
      );
      CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);
      CREATE INDEX orders_in_flight ON orders (lease_until) WHERE step <> 'done';

      CREATE TABLE order_timeline (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        status text NOT NULL,
        note text NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX order_timeline_by_order ON order_timeline (order_id, id);

      -- payment.* events as payments announced them, deduplicated by event id. A charge
      -- whose synchronous answer was lost is found here and refunded.
      CREATE TABLE payment_events (
        event_id text PRIMARY KEY,
        topic text NOT NULL,
        order_id uuid NOT NULL,
        payment_id text NOT NULL,
        amount_minor bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX payment_events_by_order ON payment_events (order_id);
    `,
  },
  outboxMigration,
  outboxParkingMigration,
];
