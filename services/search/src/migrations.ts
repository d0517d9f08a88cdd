import type { Migration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'product search index, stock and rebuild runs',
    sql: `
      -- Both are trusted extensions: the database owner may create them, no superuser needed.
      CREATE EXTENSION IF NOT EXISTS unaccent;
      CREATE EXTENSION IF NOT EXISTS pg_trgm;

      -- unaccent() is only STABLE (its dictionary could change); generated columns and
      -- index expressions need IMMUTABLE, which holds as long as nobody edits unaccent.rules.
      CREATE FUNCTION search_fold(value text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$;

      -- English stemming after accents are folded, so "café" and "cafe" are one lexeme.
      CREATE TEXT SEARCH CONFIGURATION search_english (COPY = pg_catalog.english);
      ALTER TEXT SEARCH CONFIGURATION search_english
        ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;

      -- One row per product ever seen. Product and stock state arrive on separate topics,
      -- each with its own revision; a row keeps the highest of each and ignores the rest.
      -- A deleted product stays as a tombstone so that a late update cannot bring it back.
      CREATE TABLE products (
        product_id text PRIMARY KEY,
        name text,
        category text,
        description text NOT NULL DEFAULT '',
        price_minor bigint,
        currency text,
        product_revision integer NOT NULL DEFAULT 0,
        -- When catalog wrote the state held here: orders a rebuild snapshot (which has no revision) against events.
        product_at timestamptz,
        deleted boolean NOT NULL DEFAULT false,
        available integer,
        stock_revision integer NOT NULL DEFAULT 0,
        indexed_at timestamptz NOT NULL DEFAULT now(),
        document tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('search_english', coalesce(name, '')), 'A') ||
          setweight(to_tsvector('search_english', coalesce(category, '')), 'B') ||
          setweight(to_tsvector('search_english', description), 'C')
        ) STORED,
        name_key text GENERATED ALWAYS AS (search_fold(coalesce(name, ''))) STORED
      );
      CREATE INDEX products_document ON products USING gin (document) WHERE name IS NOT NULL AND NOT deleted;
      CREATE INDEX products_name_trgm ON products USING gin (name_key gin_trgm_ops) WHERE name IS NOT NULL AND NOT deleted;
      CREATE INDEX products_category ON products (category, price_minor) WHERE name IS NOT NULL AND NOT deleted;

      -- Rebuilds from catalog, with progress; at most one runs at a time.
      CREATE TABLE rebuilds (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        started_at timestamptz NOT NULL DEFAULT now(),
        progressed_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        catalog_total integer,
        read integer NOT NULL DEFAULT 0,
        indexed integer NOT NULL DEFAULT 0,
        removed integer NOT NULL DEFAULT 0,
        error text
      );
      CREATE UNIQUE INDEX rebuilds_one_running ON rebuilds ((true)) WHERE status = 'running';
    `,
  },
  {
    version: 2,
    name: 'search indexes take writes directly',
    sql: `
      -- With fastupdate, new entries wait in a pending list (up to 4 MB) that every search
      -- reads through until a vacuum merges it, and the planner, pricing that list, scans
      -- the table instead. Products change rarely and are searched often, so each write
      -- goes straight into the index.
      ALTER INDEX products_document SET (fastupdate = off);
      ALTER INDEX products_name_trgm SET (fastupdate = off);
      SELECT gin_clean_pending_list('products_document'::regclass);
      SELECT gin_clean_pending_list('products_name_trgm'::regclass);
    `,
  },
];
