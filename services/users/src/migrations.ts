import { type Migration, outboxMigration, outboxParkingMigration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'users and addresses',
    sql: `
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        display_name text NOT NULL,
        roles text[] NOT NULL DEFAULT '{customer}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_key ON users (lower(email));
      CREATE TABLE addresses (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        label text NOT NULL DEFAULT '',
        line1 text NOT NULL,
        line2 text NOT NULL DEFAULT '',
        city text NOT NULL,
        postal_code text NOT NULL,
        country char(2) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX addresses_user ON addresses (user_id);
    `,
  },
  {
    version: 2,
    name: 'signing keys',
    sql: `
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        private_jwk jsonb NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      );
    `,
  },
  outboxMigration,
  outboxParkingMigration,
];
