/**
 * Search over 10,000 products through the gateway. The products are written straight
 * into search's index (its own table in the stack's PostgreSQL), as if their events had
 * arrived: the figure is the query, not the indexing, and 10,000 products through catalog
 * and the broker would take minutes of the bench. They replace the previous run's.
 */
import { createPool } from '@meshmart/kit';
import type pg from 'pg';
import { http, type Outcome } from './bench/load.ts';
import { postgresUrl } from './infra/postgres.ts';

export const SEARCH_PRODUCTS = 10_000;

const ORIGINS = ['Ethiopian', 'Kenyan', 'Colombian', 'Brazilian', 'Guatemalan', 'Sumatran', 'Yunnan', 'Darjeeling', 'Assam'];
const KINDS = ['Yirgacheffe', 'Sidamo', 'Huila', 'Cerrado', 'Antigua', 'Mandheling', 'Oolong', 'Sencha', 'Breakfast'];
const THINGS = ['beans', 'ground coffee', 'espresso blend', 'loose tea', 'tea bags', 'mug', 'grinder', 'kettle', 'filter'];
const NOTES = ['floral', 'citrus', 'chocolate', 'caramel', 'berry', 'smoky', 'malty', 'nutty', 'bergamot', 'honey'];

/** Queries as shoppers type them: words, a typo, a phrase, a filter. */
export const SEARCH_QUERIES = [
  'q=yirgacheffe',
  'q=yirgachefe',
  'q=ethiopian%20coffee',
  'q=%22loose%20tea%22',
  'q=chocolate&category=bench-coffee',
  'q=kettle&maxPrice=5000',
  'q=smoky%20-tea',
  'q=mug&sort=price',
];
const PREFIXES = ['ye', 'yirg', 'eth', 'colo', 'kett', 'darj', 'sen', 'mand'];

/** Writes the bench's products into a search index (the stack's or a scratch one), replacing earlier ones. */
export async function seedSearchProducts(pool: pg.Pool): Promise<void> {
  await pool.query("DELETE FROM products WHERE product_id LIKE 'bench-%'");
  await pool.query(
    `INSERT INTO products (product_id, name, category, description, price_minor, currency, product_revision, product_at, available, stock_revision)
       SELECT 'bench-' || g,
              ($2::text[])[1 + g % 9] || ' ' || ($3::text[])[1 + (g / 9) % 9] || ' ' || ($4::text[])[1 + (g / 81) % 9] || ' ' || g,
              CASE WHEN g % 3 = 0 THEN 'bench-tea' WHEN g % 3 = 1 THEN 'bench-coffee' ELSE 'bench-gear' END,
              'Notes of ' || ($5::text[])[1 + g % 10] || ' and ' || ($5::text[])[1 + (g / 10) % 10] ||
                '. Roasted or packed to order, shipped within two days.',
              200 + (g * 37) % 20000, 'EUR', 1, now(), g % 5, 1
       FROM generate_series(1, $1) AS g`,
    [SEARCH_PRODUCTS, ORIGINS, KINDS, THINGS, NOTES],
  );
  // Vacuumed as autovacuum would soon after: otherwise it cleans up the replaced rows while
  // the first scenario runs, and PostgreSQL's CPU per search counts that cleanup.
  await pool.query('VACUUM ANALYZE products');
}

export async function seedSearchIndex(): Promise<void> {
  const pool = createPool(postgresUrl('search'), 2);
  try {
    await seedSearchProducts(pool);
  } finally {
    await pool.end();
  }
}

/** Requests as the bench sends them: search cycles through the shoppers' queries, suggest through the prefixes. */
export function searchRequests(gateway: string): { search: () => Promise<Outcome>; suggest: () => Promise<Outcome> } {
  let turn = 0;
  return {
    search: http(() => fetch(`${gateway}/api/search?${SEARCH_QUERIES[turn++ % SEARCH_QUERIES.length]}`)),
    suggest: http(() => fetch(`${gateway}/api/search/suggest?q=${PREFIXES[turn++ % PREFIXES.length]}`)),
  };
}
