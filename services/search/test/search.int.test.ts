/**
 * search on the real PostgreSQL (with unaccent and pg_trgm). Events are POSTed to the
 * subscription routes the way daprd delivers them, in any order and more than once; no
 * sidecar runs, so the rebuild from catalog is left to the e2e test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type EventTopic, eventSchemas } from '@meshmart/kit';
import { deliverEvent, infraForThisRun, type ServiceOnScratchDatabase, startOnScratchDatabase } from '@meshmart/test-support';
import type { SearchResult } from '../src/queries.ts';
import { service } from '../src/service.ts';

const TOKEN = 'search-int-test-token';
const infra = infraForThisRun();

let clock = Date.parse('2026-01-01T00:00:00Z');
/** A later time at each call, so every event is newer than the one before unless a test says otherwise. */
function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

interface Product {
  productId: string;
  name: string;
  category: string;
  description: string;
  priceMinor: number;
  revision: number;
}

describe('search on the real PostgreSQL', () => {
  let search: ServiceOnScratchDatabase;
  let base: string;

  before(async function () {
    this.timeout(180_000);
    search = await startOnScratchDatabase(infra, 'search_it', (env) =>
      service.start({ ...service.loadConfig({ ...env, APP_API_TOKEN: TOKEN }), PORT: 0 }, { handleSignals: false }),
    );
    base = search.base;
  });

  after(async () => {
    await search?.stop();
  });

  const deliver = (topic: EventTopic, data: unknown): Promise<string> =>
    deliverEvent(
      base,
      topic,
      { eventId: randomUUID(), topic, version: eventSchemas[topic].version, occurredAt: tick(), data },
      TOKEN,
    );

  const productEvent = (p: Product, at = tick()) => ({ ...p, currency: 'EUR', at });

  async function create(fields: Partial<Product> & { name: string }): Promise<Product> {
    const p: Product = {
      productId: randomUUID(),
      category: 'coffee',
      description: '',
      priceMinor: 1000,
      revision: 1,
      ...fields,
    };
    assert.equal(await deliver('product.created', productEvent(p)), 'SUCCESS');
    return p;
  }

  async function get(path: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(base + path, { headers: { 'dapr-api-token': TOKEN } });
    return { status: res.status, body: await res.json() };
  }

  async function searchFor(params: Record<string, string>): Promise<SearchResult> {
    const { status, body } = await get(`/search?${new URLSearchParams(params)}`);
    assert.equal(status, 200, JSON.stringify(body));
    return body as SearchResult;
  }

  const ids = (r: SearchResult) => r.items.map((i) => i.id);

  it('finds a product by a misspelt word of its name, with or without accents', async () => {
    const p = await create({ name: 'Ethiopian Yirgacheffe', description: 'Floral, citrus and bergamot.' });
    assert.ok(ids(await searchFor({ q: 'yirgachefe' })).includes(p.productId));
    const cafe = await create({ name: 'Café de Olla blend' });
    assert.ok(ids(await searchFor({ q: 'cafe olla' })).includes(cafe.productId));
    assert.ok(ids(await searchFor({ q: 'CAFÉ' })).includes(cafe.productId));
    assert.equal((await searchFor({ q: 'zzqxw' })).total, 0);
  });

  it('ranks a name match above a description-only match and highlights it safely', async () => {
    const tag = `w${randomUUID().slice(0, 6)}`;
    const inDescription = await create({ name: 'Plain mug', description: `With ${tag} <script>alert(1)</script> & biscuits.` });
    const inName = await create({ name: `${tag} kettle`, description: 'Boils water.' });
    const result = await searchFor({ q: tag });
    assert.deepEqual(ids(result), [inName.productId, inDescription.productId]);
    assert.equal(result.items[0]?.highlights.name, `<mark>${tag}</mark> kettle`);
    const snippet = result.items[1]?.highlights.description ?? '';
    assert.match(snippet, new RegExp(`<mark>${tag}</mark>`));
    // Only our own tags are HTML: the text's markup arrives escaped or not at all.
    assert.doesNotMatch(snippet.replace(/<\/?mark>/g, ''), /[<>]|&(?!amp;|lt;|gt;|quot;|#39;)/, snippet);
    assert.match(snippet, /&amp; biscuits/);
  });

  it('keeps the highest revision whatever order and however often events arrive', async () => {
    const p = await create({ name: 'Kenya AA', revision: 1 });
    const v3 = { ...p, name: 'Kenya AA Nyeri', revision: 3 };
    const v2 = { ...p, name: 'Kenya AA Kiambu', revision: 2 };
    const at3 = tick();
    assert.equal(await deliver('product.updated', productEvent(v3, at3)), 'SUCCESS');
    assert.equal(await deliver('product.updated', productEvent(v2)), 'SUCCESS');
    assert.equal(await deliver('product.updated', productEvent(v3, at3)), 'SUCCESS');
    assert.equal(await deliver('product.created', productEvent(p)), 'SUCCESS');
    assert.ok(ids(await searchFor({ q: 'nyeri' })).includes(p.productId));
    assert.equal((await searchFor({ q: 'kiambu' })).total, 0);

    assert.equal(await deliver('product.deleted', { productId: p.productId, revision: 4, at: tick() }), 'SUCCESS');
    const v5 = { ...p, name: 'Kenya AA Nyeri back', revision: 5 };
    assert.equal(await deliver('product.updated', productEvent(v5)), 'SUCCESS');
    assert.ok(!ids(await searchFor({ q: 'nyeri' })).includes(p.productId));
  });

  it('applies stock by its own revision, before or after the product arrives', async () => {
    const productId = randomUUID();
    const name = `Stocked ${randomUUID().slice(0, 6)}`;
    const stock = (available: number, revision: number) =>
      deliver('inventory.stock_changed', { productId, available, held: 0, revision, at: tick() });
    assert.equal(await stock(5, 2), 'SUCCESS');
    assert.equal(await stock(0, 1), 'SUCCESS');
    await create({ productId, name });
    const result = await searchFor({ q: name, inStock: 'true' });
    assert.ok(ids(result).includes(productId));
    assert.equal(await stock(0, 3), 'SUCCESS');
    assert.ok(!ids(await searchFor({ q: name, inStock: 'true' })).includes(productId));
    assert.ok(ids(await searchFor({ q: name, inStock: 'false' })).includes(productId));
  });

  it('counts facets over the whole match, not the page', async () => {
    const word = `facet${randomUUID().slice(0, 6)}`;
    const made: Product[] = [];
    for (let i = 0; i < 25; i++) {
      made.push(await create({ name: `${word} item ${i}`, category: i % 3 === 0 ? 'tea' : 'coffee', priceMinor: 500 + i * 400 }));
    }
    const first = await searchFor({ q: word });
    assert.equal(first.total, 25);
    assert.equal(first.items.length, 20);
    const second = await searchFor({ q: word, page: '2' });
    assert.equal(second.items.length, 5);
    assert.equal(new Set([...ids(first), ...ids(second)]).size, 25);
    assert.deepEqual(first.facets.categories, [
      { category: 'coffee', count: made.filter((p) => p.category === 'coffee').length },
      { category: 'tea', count: made.filter((p) => p.category === 'tea').length },
    ]);
    const bandCount = (min: number, max: number | null) =>
      made.filter((p) => p.priceMinor >= min && (max === null || p.priceMinor < max)).length;
    for (const band of first.facets.priceBands) assert.equal(band.count, bandCount(band.min, band.max), band.key);
    assert.deepEqual(first.facets.inStock, { inStock: 0, outOfStock: 25 });

    const filtered = await searchFor({ q: word, category: 'tea', minPrice: '1000', maxPrice: '6000', sort: '-price' });
    const expected = made
      .filter((p) => p.category === 'tea' && p.priceMinor >= 1000 && p.priceMinor <= 6000)
      .sort((a, b) => b.priceMinor - a.priceMinor);
    assert.deepEqual(
      ids(filtered),
      expected.map((p) => p.productId),
    );
  });

  it('scores a match the same under every sort, and counts nothing for an empty match', async () => {
    const word = `sort${randomUUID().slice(0, 6)}`;
    const inName = await create({ name: `${word} dripper`, priceMinor: 300 });
    const inDescription = await create({ name: 'Plain filter', description: `Fits the ${word}.`, priceMinor: 9000 });
    const byRelevance = await searchFor({ q: word });
    assert.deepEqual(ids(byRelevance), [inName.productId, inDescription.productId]);
    const byPrice = await searchFor({ q: word, sort: '-price' });
    assert.deepEqual(ids(byPrice), [inDescription.productId, inName.productId]);
    assert.deepEqual(ids(await searchFor({ q: word, sort: 'newest' })), [inDescription.productId, inName.productId]);
    const scores = (r: SearchResult) => Object.fromEntries(r.items.map((i) => [i.id, i.score]));
    assert.deepEqual(scores(byPrice), scores(byRelevance));
    assert.ok(
      byRelevance.items.every((i) => i.score > 0),
      JSON.stringify(scores(byRelevance)),
    );
    assert.match(byPrice.items[1]?.highlights.name ?? '', new RegExp(`<mark>${word}</mark>`));

    const empty = await searchFor({ q: word, category: 'no-such-category' });
    assert.deepEqual(empty.items, []);
    assert.equal(empty.total, 0);
    assert.deepEqual(empty.facets.categories, []);
    assert.ok(empty.facets.priceBands.every((b) => b.count === 0));
    assert.deepEqual(empty.facets.inStock, { inStock: 0, outOfStock: 0 });
  });

  it('browses a category without a query: by name, unscored, nothing highlighted', async () => {
    const category = `browse-${randomUUID().slice(0, 6)}`;
    const second = await create({ name: 'Zebra & blend', category, description: 'Bold & dark.' });
    const first = await create({ name: 'Alpine blend', category });
    await create({ name: 'Elsewhere blend', category: 'coffee' });
    const browsed = await searchFor({ category });
    assert.deepEqual(ids(browsed), [first.productId, second.productId]);
    assert.deepEqual(browsed.facets.categories, [{ category, count: 2 }]);
    assert.ok(browsed.items.every((i) => i.score === 0));
    assert.equal(browsed.items[1]?.highlights.name, 'Zebra &amp; blend');
    assert.equal(browsed.items[1]?.highlights.description, 'Bold &amp; dark.');
    const searched = await searchFor({ q: 'blend', category });
    const highlighted = searched.items.find((i) => i.id === second.productId);
    assert.equal(highlighted?.highlights.name, 'Zebra &amp; <mark>blend</mark>');
  });

  it('suggests at most ten names, words starting with the input first, then typos', async () => {
    const stem = `zanz${randomUUID().slice(0, 4)}`;
    for (let i = 0; i < 12; i++) await create({ name: `${stem}ibar roast ${i}` });
    const { status, body } = await get(`/search/suggest?q=${stem}`);
    assert.equal(status, 200);
    const { suggestions } = body as { suggestions: string[] };
    assert.equal(suggestions.length, 10);
    assert.ok(suggestions.every((s) => s.startsWith(stem)));
    const typo = await get(`/search/suggest?q=${encodeURIComponent('yirgachef')}`);
    assert.deepEqual((typo.body as { suggestions: string[] }).suggestions, ['Ethiopian Yirgacheffe']);
    const wildcard = await get(`/search/suggest?q=${encodeURIComponent('%_')}`);
    assert.equal(wildcard.status, 200);
    assert.deepEqual((wildcard.body as { suggestions: string[] }).suggestions, []);
  });

  it('answers hostile query text with 200 or 400, never an error', async () => {
    const hostile = [
      '"unbalanced',
      'a & b | !c',
      'coffee:*',
      '!!!',
      "'; DROP TABLE products; --",
      '(((',
      '<->',
      'the',
      'x'.repeat(200),
      'x'.repeat(1000),
      'nul\u0000byte',
    ];
    for (const q of hostile) {
      for (const path of ['/search', '/search/suggest']) {
        const { status } = await get(`${path}?q=${encodeURIComponent(q)}`);
        assert.ok(status === 200 || status === 400, `${path} q=${JSON.stringify(q.slice(0, 40))} gave ${status}`);
      }
    }
    assert.equal((await get(`/search?q=${'x'.repeat(1000)}`)).status, 400);
    assert.equal((await get('/search?page=51')).status, 400);
    assert.equal((await get('/search?q=a&q=b')).status, 400);
    assert.equal((await get('/search?minPrice=5&maxPrice=4')).status, 400);
    assert.equal((await get('/search?sort=drop')).status, 400);
    assert.equal((await get('/search/suggest?q=')).status, 400);
  });
});
