/**
 * Search and suggestions over the index. User text reaches PostgreSQL only as a bound
 * parameter and only through websearch_to_tsquery, which accepts any string (quotes,
 * `&`, `|`, `!`, `:*` are words or operators of its own small syntax, never errors),
 * and through pg_trgm's similarity, which treats it as plain characters.
 *
 * A product matches when its document matches the query's lexemes or, for typos, when
 * the query is similar to a word sequence of its name (pg_trgm word similarity). Rank
 * is text rank (name weighted above category above description) plus that similarity,
 * so a name match outranks a description-only match.
 */

import { PAGE_SIZE, type SearchQuery } from '@meshmart/contracts/search';
import type pg from 'pg';

/** Price bands of the facet, in minor units; the last is open-ended. */
export const priceBands = [
  { key: 'under-10', min: 0, max: 1000 },
  { key: '10-25', min: 1000, max: 2500 },
  { key: '25-50', min: 2500, max: 5000 },
  { key: '50-100', min: 5000, max: 10_000 },
  { key: '100-and-over', min: 10_000, max: null },
] as const;

export interface SearchHit {
  id: string;
  name: string;
  category: string;
  priceMinor: number;
  currency: string;
  inStock: boolean;
  /** Snippets as HTML: the text escaped, matched words in <mark>. */
  highlights: { name: string; description: string };
  score: number;
}

export interface SearchResult {
  items: SearchHit[];
  total: number;
  page: number;
  pageSize: number;
  facets: {
    categories: Array<{ category: string; count: number }>;
    priceBands: Array<{ key: string; min: number; max: number | null; count: number }>;
    inStock: { inStock: number; outOfStock: number };
  };
}

// ts_headline marks matches with these; they are taken out of the text first, so every
// one in a headline is a marker.
const START = '\u0002';
const STOP = '\u0003';
const MARKERS = 'chr(2) || chr(3)';

const ORDER_BY: Record<NonNullable<SearchQuery['sort']>, string> = {
  relevance: 'score DESC, name, product_id',
  name: 'name, product_id',
  price: 'price_minor, name, product_id',
  '-price': 'price_minor DESC, name, product_id',
  newest: 'product_at DESC NULLS LAST, product_id',
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Escapes the text first, then turns ts_headline's markers into <mark>, so only our tags are HTML. */
export function snippetHtml(headline: string): string {
  const cleaned = escapeHtml(headline);
  return cleaned.replaceAll(START, '<mark>').replaceAll(STOP, '</mark>');
}

interface Row {
  total: number;
  categories: Array<{ category: string; count: number }>;
  /** Per price band, in the order of `priceBands`. */
  bands: number[];
  in_stock: number;
  items: Array<{
    product_id: string;
    name: string;
    category: string;
    price_minor: string;
    currency: string;
    available: number | null;
    name_headline: string;
    description_headline: string;
    score: number;
  }>;
}

/**
 * The one statement behind a search: its text and bound values (user text only among the
 * values). Only the filters given become conditions. The query's tsquery and folded text
 * are one-row sub-selects, computed once before the scan: joined as a row, they left
 * PostgreSQL no index to use, and as constants in its sight it expects a tenth of the
 * products to match and picks a sequential scan, pricing the trigram test like any
 * operator although each costs microseconds, so every name got compared. Unseen values
 * get the small default selectivity, and matches come from the GIN indexes (a bitmap OR
 * of full-text and name-trigram candidates). A relevance page needs every match's rank;
 * any other sort ranks only the page's rows.
 */
export function searchStatement(query: SearchQuery): { text: string; values: unknown[] } {
  const sort = query.sort ?? (query.q === undefined ? 'name' : 'relevance');
  const values: unknown[] = [];
  const bind = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const conditions = ['p.name IS NOT NULL', 'NOT p.deleted'];
  let scoreOf = (_row: string) => '0::real';
  let nameHeadline = 'page.name';
  let descriptionHeadline = 'left(page.description, 200)';
  if (query.q !== undefined) {
    const q = bind(query.q, 'text');
    const tsq = `(SELECT websearch_to_tsquery('search_english', ${q}))`;
    const folded = `(SELECT search_fold(${q}))`;
    conditions.push(`(p.document @@ ${tsq} OR ${folded} <% p.name_key)`);
    scoreOf = (row) => `ts_rank(${row}.document, ${tsq}) + word_similarity(${folded}, ${row}.name_key)`;
    const headlineOptions = `StartSel=${START}, StopSel=${STOP}`;
    nameHeadline = `coalesce(ts_headline('search_english', translate(page.name, ${MARKERS}, ''), ${tsq},
                                         'HighlightAll=true, ${headlineOptions}'), page.name)`;
    descriptionHeadline = `coalesce(ts_headline('search_english', translate(page.description, ${MARKERS}, ''), ${tsq},
                                                'MaxWords=30, MinWords=12, MaxFragments=2, ${headlineOptions}'),
                                    left(page.description, 200))`;
  }
  if (query.category !== undefined) conditions.push(`p.category = ${bind(query.category, 'text')}`);
  if (query.minPrice !== undefined) conditions.push(`p.price_minor >= ${bind(query.minPrice, 'bigint')}`);
  if (query.maxPrice !== undefined) conditions.push(`p.price_minor <= ${bind(query.maxPrice, 'bigint')}`);
  if (query.inStock !== undefined) conditions.push(`(coalesce(p.available, 0) > 0) = ${bind(query.inStock, 'boolean')}`);
  const offset = bind((query.page - 1) * PAGE_SIZE, 'int');
  // Ranked with the match when the order needs it, otherwise on the page's rows only.
  const rankAll = sort === 'relevance';
  const bandColumns = priceBands
    .map(
      (b, i) =>
        `count(*) FILTER (WHERE price_minor >= ${b.min}${b.max === null ? '' : ` AND price_minor < ${b.max}`})::int AS b${i}`,
    )
    .join(', ');
  const text = `
    WITH matched AS (
      SELECT p.product_id, p.name, p.category, p.description, p.price_minor, p.currency, p.available, p.product_at,
             ${rankAll ? scoreOf('p') : '0::real'} AS score
      FROM products p
      WHERE ${conditions.join(' AND ')}
    ),
    -- Facets in one pass over the match: counts per category, which add up to the rest.
    by_category AS (
      SELECT category, count(*)::int AS n, count(*) FILTER (WHERE coalesce(available, 0) > 0)::int AS in_stock, ${bandColumns}
      FROM matched GROUP BY category
    ),
    page AS (${
      rankAll
        ? `
      SELECT * FROM matched ORDER BY ${ORDER_BY[sort]} LIMIT ${PAGE_SIZE} OFFSET ${offset}`
        : `
      -- The page's rows rank against their own document and name, read back by key, so the
      -- match does not carry every row's document to rank a page of them.
      SELECT m.product_id, m.name, m.category, m.description, m.price_minor, m.currency, m.available, m.product_at,
             ${scoreOf('ranked')} AS score
      FROM (SELECT * FROM matched ORDER BY ${ORDER_BY[sort]} LIMIT ${PAGE_SIZE} OFFSET ${offset}) m
      JOIN products ranked ON ranked.product_id = m.product_id`
    }
    )
    SELECT
      coalesce(sum(n), 0)::int AS total,
      coalesce(json_agg(json_build_object('category', category, 'count', n) ORDER BY n DESC, category), '[]') AS categories,
      ARRAY[${priceBands.map((_, i) => `coalesce(sum(b${i}), 0)::int`).join(', ')}] AS bands,
      coalesce(sum(in_stock), 0)::int AS in_stock,
      (SELECT coalesce(json_agg(h ORDER BY h.ord), '[]') FROM (
         SELECT row_number() OVER (ORDER BY ${ORDER_BY[sort]}) AS ord, page.product_id, page.name, page.category,
                page.price_minor::text AS price_minor, page.currency, page.available,
                page.score,
                ${nameHeadline} AS name_headline,
                ${descriptionHeadline} AS description_headline
         FROM page) h) AS items
    FROM by_category`;
  return { text, values };
}

export async function search(pool: pg.Pool, query: SearchQuery): Promise<SearchResult> {
  const { rows } = await pool.query<Row>(searchStatement(query));
  const row = rows[0] as Row;
  return {
    items: row.items.map((r) => ({
      id: r.product_id,
      name: r.name,
      category: r.category,
      priceMinor: Number(r.price_minor),
      currency: r.currency,
      inStock: (r.available ?? 0) > 0,
      highlights: { name: snippetHtml(r.name_headline), description: snippetHtml(r.description_headline) },
      score: Math.round(r.score * 10_000) / 10_000,
    })),
    total: row.total,
    page: query.page,
    pageSize: PAGE_SIZE,
    facets: {
      categories: row.categories,
      priceBands: priceBands.map((b, i) => ({ key: b.key, min: b.min, max: b.max, count: row.bands[i] ?? 0 })),
      inStock: { inStock: row.in_stock, outOfStock: row.total - row.in_stock },
    },
  };
}

/**
 * Names for search-as-you-type: names with a word starting with what was typed first
 * (names starting with it before the rest), then, only when those are fewer than ten,
 * names similar to it (typos), at most ten in all. Near misses cost a similarity per
 * name, so they are looked for only when prefixes do not fill the list.
 */
export async function suggest(pool: pg.Pool, q: string): Promise<string[]> {
  const prefixed = await pool.query<{ name: string }>(
    `WITH input AS (
       SELECT replace(replace(replace(search_fold($1::text), '\\', '\\\\'), '%', '\\%'), '_', '\\_') AS pattern
     )
     SELECT p.name
     FROM products p, input
     WHERE p.name IS NOT NULL AND NOT p.deleted
       AND (p.name_key LIKE input.pattern || '%' OR p.name_key LIKE '% ' || input.pattern || '%')
     GROUP BY p.name
     ORDER BY bool_or(p.name_key LIKE input.pattern || '%') DESC, p.name
     LIMIT 10`,
    [q],
  );
  const names = prefixed.rows.map((r) => r.name);
  if (names.length === 10) return names;
  const similar = await pool.query<{ name: string }>(
    `WITH input AS (SELECT search_fold($1::text) AS folded)
     SELECT p.name
     FROM products p, input
     WHERE p.name IS NOT NULL AND NOT p.deleted AND input.folded <% p.name_key AND NOT (p.name = ANY($2))
     GROUP BY p.name
     ORDER BY max(word_similarity(input.folded, p.name_key)) DESC, p.name
     LIMIT $3`,
    [q, names, 10 - names.length],
  );
  return [...names, ...similar.rows.map((r) => r.name)];
}
