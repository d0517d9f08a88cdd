import { type Migration, outboxMigration, outboxParkingMigration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'charges, refunds and idempotency keys',
    sql: `
      CREATE TABLE charges (
        id uuid PRIMARY KEY,
        order_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
        failure_code text,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency char(3) NOT NULL,
        -- The database, not only the code, refuses refunding more than was charged.
        refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
        card_brand text NOT NULL,
        card_last4 char(4) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
        CHECK (status = 'succeeded' OR refunded_minor = 0)
      );
      CREATE INDEX charges_order ON charges (order_id);

      CREATE TABLE refunds (
        id uuid PRIMARY KEY,
        charge_id uuid NOT NULL REFERENCES charges(id),
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX refunds_charge ON refunds (charge_id);

      -- One row per (scope, key). While a request works on it, owner and locked_until say
      -- who and until when; afterwards status and response are what every repeat gets.
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        owner uuid,
        locked_until timestamptz,
        status integer,
        -- text, not jsonb: a repeat gets the first answer byte for byte, key order included.
        response text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (scope, key),
        CHECK ((response IS NULL) = (status IS NULL))
      );
    `,
  },
  outboxMigration,
  outboxParkingMigration,
];
