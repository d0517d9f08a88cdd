/**
 * PostgreSQL pools and versioned migrations. Migrations run at start under an advisory
 * lock, so replicas starting together apply each version exactly once.
 */
import pg from 'pg';
import type { Logger } from './logging.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor may a checked-out one (a LISTEN connection, a transaction in progress): the pool
  // listens only to idle clients. Its queries fail by themselves and release discards it.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

const LOCK_KEY = 727_274_001;

export async function migrate(pool: pg.Pool, migrations: readonly Migration[]): Promise<number[]> {
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error('duplicate migration versions');
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
        done.push(m.version);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
}

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** A snake_case column name as the camelCase property it becomes: `created_at` → `createdAt`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

export type CamelCaseRow<Row> = { [K in keyof Row & string as CamelCase<K>]: Row[K] };

/**
 * A row with its column names in camelCase and its values as they are: what a store's row
 * mapper spreads before converting the few values its type changes (bigint text, dates).
 */
export function camelCaseRow<Row extends object>(row: Row): CamelCaseRow<Row> {
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), value]),
  ) as CamelCaseRow<Row>;
}

/** Unique-violation check for turning constraint errors into 409s. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** A pool on a database brought to the latest migration: what every PostgreSQL owner starts with. */
export async function openDatabase(
  url: string,
  migrations: readonly Migration[],
  logger: Logger,
  max?: number,
): Promise<pg.Pool> {
  const pool = createPool(url, max);
  const applied = await migrate(pool, migrations);
  if (applied.length) logger.info('migrations applied', { versions: applied });
  return pool;
}
