/**
 * search in the local stack, through the gateway as a shopper and an admin would use it:
 * catalog's product events and inventory's stock events travel through their outboxes,
 * sidecars and RabbitMQ to search's sidecar; queries go gateway → gateway's sidecar → search's sidecar → search.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createPool } from '@meshmart/kit';
import { infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import { eventually, GatewayClient, newAdmin } from '@meshmart/test-support';
import type { SearchResult } from '../src/queries.ts';
import type { RebuildProgress } from '../src/rebuild.ts';

const ADMIN = newAdmin();
/** How soon a catalog change must be searchable (the bound). */
const FRESHNESS_MS = 2000;

interface Product {
  id: string;
  name: string;
  category: string;
  priceMinor: number;
}

describe('search through the gateway in the local stack', function () {
  this.timeout(180_000);
  let stack: StackHandle;
  let client: GatewayClient;
  let adminToken: string;
  // Unique per run: the stack's databases outlive a run, so queries are scoped to these.
  const run = randomBytes(3).toString('hex');
  const coffee = `coffee-${run}`;
  const tea = `tea-${run}`;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      services: ['gateway', 'users', 'catalog', 'inventory', 'search'],
      env: { users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } },
    });
    client = new GatewayClient(stack.urls.gateway);
    const login = await client.call('POST', '/api/auth/login', { body: ADMIN });
    assert.equal(login.status, 200, login.text);
    adminToken = login.json<{ accessToken: string }>().accessToken;
    for (const [id, name] of [
      [coffee, 'Coffee'],
      [tea, 'Tea'],
    ]) {
      const created = await client.call('POST', '/api/categories', { token: adminToken, body: { id, name } });
      assert.equal(created.status, 201, created.text);
    }
  });

  after(async () => {
    await stack?.stop();
  });

  async function createProduct(fields: { name: string; category?: string; priceMinor?: number; description?: string }) {
    const res = await client.call('POST', '/api/products', {
      token: adminToken,
      body: { category: coffee, priceMinor: 1200, currency: 'EUR', ...fields },
    });
    assert.equal(res.status, 201, res.text);
    return res.json<Product>();
  }

  async function searchFor(params: Record<string, string>): Promise<SearchResult> {
    const res = await client.call('GET', `/api/search?${new URLSearchParams(params)}`);
    assert.equal(res.status, 200, res.text);
    return res.json<SearchResult>();
  }

  const ids = (r: SearchResult) => r.items.map((i) => i.id);

  it('finds a new product by a typo within 2 s, forgets its old name on rename and drops it on delete', async () => {
    const product = await createProduct({ name: 'Ethiopian Yirgacheffe', description: 'Washed, floral, bergamot.' });
    await eventually(
      'the typo to find the new product',
      async () => (ids(await searchFor({ q: 'yirgachefe', category: coffee })).includes(product.id) ? true : undefined),
      FRESHNESS_MS,
    );

    const renamed = await client.call('PUT', `/api/products/${product.id}`, {
      token: adminToken,
      body: { name: 'Colombian Huila', category: coffee, priceMinor: 1200, currency: 'EUR', description: 'Caramel.' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    await eventually(
      'the new name to match',
      async () => (ids(await searchFor({ q: 'huila', category: coffee })).includes(product.id) ? true : undefined),
      FRESHNESS_MS,
    );
    assert.equal((await searchFor({ q: 'yirgachefe', category: coffee })).total, 0, 'the old name no longer matches');

    const deleted = await client.call('DELETE', `/api/products/${product.id}`, { token: adminToken });
    assert.equal(deleted.status, 204);
    await eventually(
      'the deleted product to leave the results',
      async () => ((await searchFor({ q: 'huila', category: coffee })).total === 0 ? true : undefined),
      FRESHNESS_MS,
    );
  });

  it('counts facets over the whole match as the test counts them, and ranks a name match first', async () => {
    // Random letters, so that no other product's name is a near miss of it.
    const word = `a${randomBytes(5).toString('hex')}`;
    const made: Product[] = [];
    for (let i = 0; i < 24; i++) {
      made.push(
        await createProduct({
          name: `${word} blend ${i}`,
          category: i % 4 === 0 ? tea : coffee,
          priceMinor: 300 + i * 550,
        }),
      );
    }
    const onlyInDescription = await createProduct({ name: `Plain filter ${run}`, description: `Pairs with any ${word}.` });
    const all = [...made, onlyInDescription];
    const result = await eventually(
      'all 25 products to be searchable',
      async () => {
        const r = await searchFor({ q: word });
        return r.total === all.length ? r : undefined;
      },
      10_000,
    );

    const byCategory = [coffee, tea]
      .map((category) => ({ category, count: all.filter((p) => p.category === category).length }))
      .sort((a, b) => b.count - a.count);
    assert.deepEqual(result.facets.categories, byCategory);
    for (const band of result.facets.priceBands) {
      const expected = all.filter((p) => p.priceMinor >= band.min && (band.max === null || p.priceMinor < band.max)).length;
      assert.equal(band.count, expected, `price band ${band.key}`);
    }
    assert.equal(result.facets.inStock.inStock + result.facets.inStock.outOfStock, all.length);

    // Stock is inventory's: every third product gets some, and its stock event reaches the index.
    const stocked = all.filter((_, i) => i % 3 === 0);
    for (const p of stocked) {
      const res = await client.call('PUT', `/api/products/${p.id}/stock`, { token: adminToken, body: { stock: 4 } });
      assert.equal(res.status, 200, res.text);
    }
    const withStock = await eventually(
      'the stock events to reach the index',
      async () => {
        const r = await searchFor({ q: word });
        return r.facets.inStock.inStock === stocked.length ? r : undefined;
      },
      10_000,
    );
    assert.deepEqual(withStock.facets.inStock, { inStock: stocked.length, outOfStock: all.length - stocked.length });
    const onlyStocked = await searchFor({ q: word, inStock: 'true', page: '1' });
    assert.deepEqual(new Set(ids(onlyStocked)), new Set(stocked.map((p) => p.id)));
    assert.equal(result.items.length, 20, 'one page');
    assert.equal(result.items.at(-1)?.id === onlyInDescription.id, false, 'a page of name matches comes first');
    const last = await searchFor({ q: word, page: '2' });
    assert.equal(last.items.at(-1)?.id, onlyInDescription.id, 'the description-only match ranks last');
    assert.match(result.items[0]?.highlights.name ?? '', new RegExp(`<mark>${word}</mark>`));

    const filtered = await searchFor({ q: word, category: tea, maxPrice: '5000', sort: 'price' });
    const expected = all
      .filter((p) => p.category === tea && p.priceMinor <= 5000)
      .sort((a, b) => a.priceMinor - b.priceMinor)
      .map((p) => p.id);
    assert.deepEqual(ids(filtered), expected);

    const suggest = await client.call('GET', `/api/search/suggest?q=${word.slice(0, 7)}`);
    assert.equal(suggest.status, 200, suggest.text);
    const { suggestions } = suggest.json<{ suggestions: string[] }>();
    assert.equal(suggestions.length, 10);
    assert.ok(
      suggestions.every((s) => s.startsWith(word)),
      suggestions.join(', '),
    );
  });

  it('answers hostile query text with 200 or 400, never a server error', async () => {
    const hostile = ['"', '"unbalanced', 'a & b', 'a | b', '!a', 'coffee:*', ':*', "'); --", '\\', 'x'.repeat(1000)];
    for (const q of hostile) {
      for (const path of ['/api/search', '/api/search/suggest']) {
        const res = await client.call('GET', `${path}?q=${encodeURIComponent(q)}`);
        assert.ok(
          res.status === 200 || res.status === 400,
          `${path} q=${JSON.stringify(q.slice(0, 20))}: ${res.status} ${res.text}`,
        );
      }
    }
    const long = await client.call('GET', `/api/search?q=${'x'.repeat(1000)}`);
    assert.equal(long.status, 400);
    assert.equal(long.problem().errors?.[0]?.field, 'q');
  });

  it('rebuilds a lost index from catalog for admins only, with progress', async () => {
    // A word of its own: earlier runs left other rebuilt products in catalog, near misses of any shared name.
    const word = `r${randomBytes(5).toString('hex')}`;
    const product = await createProduct({ name: `Rebuilt ${word}` });
    await eventually('the product to be indexed', async () => ((await searchFor({ q: word })).total === 1 ? true : undefined));
    const pool = createPool(infraUrls.postgres('search'), 1);
    try {
      await pool.query('DELETE FROM products');
    } finally {
      await pool.end();
    }
    assert.equal((await searchFor({ q: word })).total, 0, 'the index is lost');

    const customer = await client.call('POST', '/api/admin/search/rebuild', { token: 'not-a-token' });
    assert.equal(customer.status, 401);
    const started = await client.call('POST', '/api/admin/search/rebuild', { token: adminToken });
    assert.equal(started.status, 202, started.text);
    const done = await eventually(
      'the rebuild to finish',
      async () => {
        const res = await client.call('GET', '/api/admin/search/rebuild', { token: adminToken });
        assert.equal(res.status, 200, res.text);
        const progress = res.json<RebuildProgress>();
        assert.notEqual(progress.status, 'failed', progress.error ?? '');
        return progress.status === 'done' ? progress : undefined;
      },
      60_000,
    );
    assert.equal(done.id, started.json<RebuildProgress>().id);
    assert.ok(done.catalogTotal !== null && done.read >= done.catalogTotal, JSON.stringify(done));
    assert.deepEqual(ids(await searchFor({ q: word })), [product.id]);
  });

  it('catches up after search and its sidecar were down: every change once, in order', async () => {
    const word = `o${randomBytes(5).toString('hex')}`;
    const made: Product[] = [];
    for (let i = 0; i < 20; i++) made.push(await createProduct({ name: `${word} v1 n${i}`, priceMinor: 1000 + i }));
    await eventually('the 20 products to be indexed', async () =>
      (await searchFor({ q: word })).total === 20 ? true : undefined,
    );

    await stack.stopService('search');
    await stack.stopSidecar('search');
    // Two renames each while search is away; only the second may show afterwards.
    for (const version of ['v2', 'v3']) {
      for (const [i, p] of made.entries()) {
        const res = await client.call('PUT', `/api/products/${p.id}`, {
          token: adminToken,
          body: { name: `${word} ${version} n${i}`, category: coffee, priceMinor: p.priceMinor, currency: 'EUR' },
        });
        assert.equal(res.status, 200, res.text);
      }
    }
    await Promise.all([stack.startSidecar('search'), stack.startService('search')]);

    const expected = made.map((_, i) => `${word} v3 n${i}`).sort();
    await eventually(
      'all 20 latest names',
      async () => {
        const r = await searchFor({ q: `${word} v3`, sort: 'name' });
        const names = r.items.map((h) => h.name);
        return r.total === 20 && JSON.stringify(names) === JSON.stringify(expected.slice(0, 20)) ? true : undefined;
      },
      30_000,
    );
    assert.equal((await searchFor({ q: `${word} v2` })).items.filter((h) => h.name.includes(' v2 ')).length, 0);
    // The restarted process counts from zero: 40 renames reached it, none applied twice.
    const metrics = await (await fetch(`${stack.urls.services.search?.probe}/metrics`)).text();
    const count = (outcome: string) =>
      Number(
        metrics.match(
          new RegExp(`^search_index_events_total\\{[^}]*topic="product.updated"[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'm'),
        )?.[1] ?? 0,
      );
    assert.ok(count('applied') <= 40, `applied ${count('applied')} of 40 renames`);
    assert.ok(count('applied') + count('stale') >= 40, `saw ${count('applied') + count('stale')} of 40 renames`);
  });
});
