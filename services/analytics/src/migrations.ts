import type { Migration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'rollups, processed events, tracked events and product names',
    sql: `
      -- One counter per (metric, bucket, entity, currency). Every event adds to an hour
      -- and a day bucket; see src/increments.ts for the metrics.
      CREATE TABLE rollups (
        metric text NOT NULL,
        granularity text NOT NULL CHECK (granularity IN ('hour', 'day')),
        bucket_start timestamptz NOT NULL,
        dimension text NOT NULL DEFAULT '',
        currency text NOT NULL DEFAULT '',
        value bigint NOT NULL,
        PRIMARY KEY (metric, granularity, bucket_start, dimension, currency)
      );
      -- Per-entity reads (one user's usage) without scanning every user's rows.
      CREATE INDEX rollups_by_dimension ON rollups (dimension, metric, granularity, bucket_start) WHERE dimension <> '';

      -- Domain events already counted; a redelivery finds its id here and adds nothing.
      CREATE TABLE processed_events (
        event_id text PRIMARY KEY,
        topic text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      );

      -- Client events from POST /analytics/track. An event id is unique per user (or among
      -- anonymous callers: scope ''), so nobody can suppress another user's events.
      CREATE TABLE tracked_events (
        scope text NOT NULL,
        event_id text NOT NULL,
        user_id text,
        name text NOT NULL,
        properties jsonb NOT NULL DEFAULT '{}',
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, event_id)
      );

      -- The newest name of each product, from product.* and order lines.
      CREATE TABLE product_names (
        product_id text PRIMARY KEY,
        name text NOT NULL,
        seen_at timestamptz NOT NULL
      );
    `,
  },
];
