import { type Migration, outboxMigration, outboxParkingMigration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'qr codes',
    sql: `
      -- One row per distinct image: content plus normalized options, identified by
      -- cache_key, so the same request never stores a second copy.
      CREATE TABLE qr_codes (
        id uuid PRIMARY KEY,
        -- Who asked first; later requests for the same image share the row.
        owner_id text NOT NULL,
        content text NOT NULL,
        format text NOT NULL CHECK (format IN ('png', 'svg')),
        size integer NOT NULL CHECK (size BETWEEN 64 AND 2048),
        error_correction char(1) NOT NULL CHECK (error_correction IN ('L', 'M', 'Q', 'H')),
        margin integer NOT NULL CHECK (margin BETWEEN 0 AND 16),
        dark_color text NOT NULL,
        light_color text NOT NULL,
        cache_key char(64) NOT NULL UNIQUE,
        blob_name text NOT NULL,
        byte_length integer NOT NULL CHECK (byte_length > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX qr_codes_owner ON qr_codes (owner_id, created_at DESC);
    `,
  },
  outboxMigration,
  outboxParkingMigration,
];
