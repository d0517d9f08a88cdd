import { type Migration, outboxMigration, outboxParkingMigration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'links and clicks',
    sql: `
      -- A deleted link keeps its row (deleted_at set): its code is never handed out again
      -- and a redirect to it can say "deleted" rather than "not found".
      CREATE TABLE links (
        code text PRIMARY KEY,
        target_url text NOT NULL,
        owner_id text NOT NULL,
        custom_alias boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        deleted_at timestamptz,
        total_clicks bigint NOT NULL DEFAULT 0 CHECK (total_clicks >= 0)
      );
      CREATE INDEX links_owner_newest ON links (owner_id, created_at DESC, code DESC) WHERE deleted_at IS NULL;

      -- id is chosen when the redirect is answered, so storing a click again after an
      -- ambiguous failure cannot count it twice.
      CREATE TABLE clicks (
        id uuid PRIMARY KEY,
        code text NOT NULL REFERENCES links(code),
        at timestamptz NOT NULL,
        referrer text NOT NULL,
        user_agent text NOT NULL
      );
      CREATE INDEX clicks_code_at ON clicks (code, at);
    `,
  },
  outboxMigration,
  outboxParkingMigration,
];
