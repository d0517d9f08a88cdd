/**
 * catalog on the real FerretDB (and its PostgreSQL), with admin tokens signed by users'
 * real keys and verified against users' real JWKS endpoint. No sidecar runs here: the event relay
 * cannot publish, so the events a write records stay in the product document where the
 * tests read them.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { catalogErrors, type Product } from '@meshmart/contracts/catalog';
import { createAccessTokenVerifier, createLogger, createPool, type EventEnvelope, type RunningServer } from '@meshmart/kit';
import { createScratchDatabase, type ScratchDatabase, scratchMongoUrl } from '@meshmart/stack';
import { infraForThisRun } from '@meshmart/test-support';
import { issueAccessToken, SigningKeys, service as usersService } from '@meshmart/users';
import mongoose from 'mongoose';
import { type CatalogModels, catalogModels, type ProductDoc } from '../src/models.ts';
import { seedDemoCatalog } from '../src/seed.ts';
import { service } from '../src/service.ts';

const CATALOG_TOKEN = 'catalog-int-test-token';
const USERS_TOKEN = 'users-int-test-token';

interface ProblemBody {
  status: number;
  errors?: Array<{ field: string }>;
  detail?: string;
}

const infra = infraForThisRun();

describe('catalog on the real FerretDB', function () {
  this.timeout(60_000);
  let usersDb: ScratchDatabase;
  let users: RunningServer;
  let catalog: RunningServer;
  let base: string;
  let mongoUrl: string;
  let connection: mongoose.Connection;
  let models: CatalogModels;
  let adminToken: string;
  let customerToken: string;
  let accessTokens: ReturnType<typeof createAccessTokenVerifier>;

  before(async function () {
    this.timeout(180_000);
    await infra.start(['postgres', 'ferretdb']);
    usersDb = await createScratchDatabase('catalog_users_it');
    const usersConfig = usersService.loadConfig({
      PORT: '1',
      DATABASE_URL: usersDb.url,
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: USERS_TOKEN,
      LOG_LEVEL: 'error',
    });
    users = await usersService.start({ ...usersConfig, PORT: 0 }, { handleSignals: false });
    const pool = createPool(usersDb.url, 1);
    const keys = new SigningKeys(pool, 30, 900);
    const settings = { issuer: 'meshmart-users', audience: 'meshmart', accessTtlSeconds: 600 };
    adminToken = await issueAccessToken(keys, settings, { id: randomUUID(), roles: ['customer', 'admin'] });
    customerToken = await issueAccessToken(keys, settings, { id: randomUUID(), roles: ['customer'] });
    await pool.end();

    mongoUrl = scratchMongoUrl('catalog_it');
    accessTokens = createAccessTokenVerifier({
      jwksUrl: new URL(`http://127.0.0.1:${users.port}/.well-known/jwks.json`),
      headers: { 'dapr-api-token': USERS_TOKEN },
      issuer: 'meshmart-users',
      audience: 'meshmart',
      cacheMaxAgeMs: 60_000,
      cooldownMs: 1000,
      timeoutMs: 2000,
    });
    catalog = await service.start({ ...catalogConfig(mongoUrl), PORT: 0 }, { handleSignals: false, accessTokens });
    base = `http://127.0.0.1:${catalog.port}`;
    connection = await mongoose.createConnection(mongoUrl).asPromise();
    models = catalogModels(connection);
  });

  after(async () => {
    await connection?.close();
    await catalog?.close();
    await users?.close();
    await usersDb?.drop();
  });

  function catalogConfig(url: string) {
    return service.loadConfig({
      PORT: '1',
      MONGO_URL: url,
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: CATALOG_TOKEN,
      LOG_LEVEL: 'error',
      OUTBOX_POLL_MS: '60000',
    });
  }

  const call = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
    fetch(base + path, {
      method: init.method ?? 'GET',
      headers: {
        'dapr-api-token': CATALOG_TOKEN,
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...(init.token && { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  /** What the sidecar delivers for inventory.stock_changed. */
  const deliverStock = (data: { productId: string; available: number; held: number; revision: number }) => {
    const envelope = {
      eventId: randomUUID(),
      topic: 'inventory.stock_changed',
      version: 1,
      occurredAt: new Date().toISOString(),
      data: { ...data, at: new Date().toISOString() },
    };
    return fetch(`${base}/events/inventory-stock-changed`, {
      method: 'POST',
      headers: { 'dapr-api-token': CATALOG_TOKEN, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        id: envelope.eventId,
        specversion: '1.0',
        type: 'meshmart.inventory.stock_changed.v1',
        data: envelope,
      }),
    }).then(async (res) => ((await res.json()) as { status: string }).status);
  };

  async function newProduct(extra: Record<string, unknown> = {}): Promise<Product> {
    const res = await call('/products', {
      method: 'POST',
      token: adminToken,
      body: { name: `Test ${randomUUID().slice(0, 8)}`, category: 'coffee', priceMinor: 1000, currency: 'EUR', ...extra },
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Product;
  }

  const productCount = () => models.products.countDocuments();
  const pendingOf = async (id: string) =>
    ((await models.products.findById(id).lean<ProductDoc>())?.pendingEvents ?? []).map((e) => e.envelope as EventEnvelope);

  describe('the demo catalog', () => {
    it('is loaded once into an empty database, even by two replicas at once, with its stock shown', async () => {
      const list = (await (await call('/products?limit=100')).json()) as { total: number; items: Product[] };
      const espresso = list.items.find((p) => p.id === 'demo-house-espresso');
      assert.deepEqual([espresso?.stock, espresso?.inStock], [120, true]);
      const scratch = await mongoose.createConnection(scratchMongoUrl('catalog_seed_it')).asPromise();
      try {
        const m = catalogModels(scratch);
        const logger = createLogger('seed-test', 'error');
        const loaded = await Promise.all([seedDemoCatalog(m, logger), seedDemoCatalog(m, logger)]);
        assert.equal(loaded[0] + loaded[1], 20);
        assert.equal(await m.products.countDocuments(), 20);
        const created = await m.products.find({ eventsPending: true }).lean<ProductDoc[]>();
        assert.deepEqual(
          created.flatMap((p) =>
            p.pendingEvents.map((e) => [e.envelope.topic, (e.envelope.data as { revision: number }).revision]),
          ),
          created.map(() => ['product.created', 1]),
          'one product.created each, at revision 1',
        );
        assert.equal(await seedDemoCatalog(m, logger), 0, 'a second start loads nothing');
      } finally {
        await scratch.dropDatabase();
        await scratch.close();
      }
    });
  });

  describe('listing', () => {
    it('pages, filters and sorts', async () => {
      const page = (await (await call('/products?category=tea&sort=-price&limit=2&offset=1')).json()) as {
        items: Product[];
        total: number;
        limit: number;
        offset: number;
      };
      assert.equal(page.total, 5);
      assert.deepEqual(
        page.items.map((p) => p.priceMinor),
        [1450, 990],
      );
      assert.equal(page.offset, 1);
      const cheap = (await (await call('/products?maxPrice=800&sort=price')).json()) as { items: Product[] };
      assert.deepEqual(
        cheap.items.map((p) => p.id),
        ['demo-paper-filters', 'demo-rooibos-vanilla'],
      );
      const inStock = (await (await call('/products?inStock=true&limit=100')).json()) as { items: Product[] };
      assert.ok(inStock.items.length > 0 && inStock.items.every((p) => p.stock > 0));
    });

    it('searches names and descriptions as plain text, never as a pattern', async () => {
      const literal = (await (await call(`/products?q=${encodeURIComponent('(100)')}`)).json()) as { items: Product[] };
      assert.deepEqual(
        literal.items.map((p) => p.id),
        ['demo-paper-filters'],
      );
      const caseless = (await (await call('/products?q=BERGAMOT')).json()) as { total: number };
      assert.equal(caseless.total, 2);
      for (const pattern of ['.*', '^', 'a|e', '[a-z]']) {
        const res = (await (await call(`/products?q=${encodeURIComponent(pattern)}`)).json()) as { total: number };
        assert.equal(res.total, 0, pattern);
      }
    });

    it('answers operator objects and unknown parameters with 400 problems', async () => {
      for (const query of [
        `category=${encodeURIComponent('{"$gt":""}')}`,
        `minPrice=${encodeURIComponent('{"$gt":""}')}`,
        `${encodeURIComponent('category[$ne]')}=x`,
        'category=tea&category=coffee',
        'sort=stock',
      ]) {
        const res = await call(`/products?${query}`);
        assert.equal(res.status, 400, query);
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
      }
    });

    it('counts products per category', async () => {
      const { items } = (await (await call('/categories')).json()) as { items: Array<{ id: string; productCount: number }> };
      assert.deepEqual(
        items.find((c) => c.id === 'tea'),
        { id: 'tea', name: 'Tea', productCount: 5 },
      );
    });
  });

  describe('admin writes', () => {
    it('needs a token (401) and the admin role (403), and writes nothing otherwise', async () => {
      const before = await productCount();
      const body = { name: 'Nope', category: 'coffee', priceMinor: 1, currency: 'EUR' };
      assert.equal((await call('/products', { method: 'POST', body })).status, 401);
      const forbidden = await call('/products', { method: 'POST', body, token: customerToken });
      assert.equal(forbidden.status, 403);
      assert.match(forbidden.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal((await call('/products/demo-tea-bowl', { method: 'DELETE', token: customerToken })).status, 403);
      assert.equal((await call('/categories', { method: 'POST', body: { name: 'X' }, token: customerToken })).status, 403);
      assert.equal((await call('/products', { method: 'POST', body, token: `${adminToken}x` })).status, 401);
      assert.equal(await productCount(), before);
      assert.equal((await pendingOf('demo-tea-bowl')).length, 1, 'only its product.created');
    });

    it('refuses bad input field by field and writes nothing', async () => {
      const before = await productCount();
      const res = await call('/products', {
        method: 'POST',
        token: adminToken,
        body: { name: { $gt: '' }, category: 'coffee', priceMinor: -5, currency: 'EUR', images: ['javascript:alert(1)'], x: 1 },
      });
      assert.equal(res.status, 400);
      const problem = (await res.json()) as ProblemBody;
      assert.deepEqual(problem.errors?.map((e) => e.field).sort(), ['images.0', 'name', 'priceMinor', 'x']);
      const unknownCategory = await call('/products', {
        method: 'POST',
        token: adminToken,
        body: { name: 'Orphan', category: 'no-such-category', priceMinor: 5, currency: 'EUR' },
      });
      assert.equal(unknownCategory.status, 400);
      const stock = await call('/products', {
        method: 'POST',
        token: adminToken,
        body: { name: 'Stocked', category: 'coffee', priceMinor: 5, currency: 'EUR', stock: 5 },
      });
      assert.equal(stock.status, 400, 'stock is set at inventory');
      assert.equal(await productCount(), before);
    });

    it('creates, replaces and deletes, each write carrying its event and revision in the document', async () => {
      const created = await newProduct({ attributes: { origin: 'Kenya' }, description: 'Bright' });
      assert.deepEqual([created.stock, created.inStock], [0, false], 'nothing in stock until inventory says so');
      assert.equal(((await (await call(`/products/${created.id}`)).json()) as Product).name, created.name);

      const replaced = await call(`/products/${created.id}`, {
        method: 'PUT',
        token: adminToken,
        body: { name: 'Kenya AA', category: 'coffee', priceMinor: 1500, currency: 'EUR' },
      });
      assert.equal(replaced.status, 200);
      assert.equal(((await replaced.json()) as Product).name, 'Kenya AA');

      assert.equal((await call(`/products/${created.id}`, { method: 'DELETE', token: adminToken })).status, 204);
      assert.equal((await call(`/products/${created.id}`)).status, 404);
      assert.equal((await call(`/products/${created.id}`, { method: 'DELETE', token: adminToken })).status, 404);

      const events = await pendingOf(created.id);
      assert.deepEqual(
        events.map((e) => [e.topic, e.version, (e.data as { revision: number }).revision]),
        [
          ['product.created', 2, 1],
          ['product.updated', 2, 2],
          ['product.deleted', 2, 3],
        ],
        'no sidecar here: nothing is published yet',
      );
      assert.deepEqual(events[1]?.data, {
        productId: created.id,
        name: 'Kenya AA',
        category: 'coffee',
        description: '',
        priceMinor: 1500,
        currency: 'EUR',
        revision: 2,
        at: (events[1]?.data as { at?: string } | undefined)?.at,
      });
      assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    });

    it('keeps both of two concurrent edits, each at its own revision', async () => {
      const p = await newProduct();
      const edit = (name: string) =>
        call(`/products/${p.id}`, {
          method: 'PUT',
          token: adminToken,
          body: { name, category: 'coffee', priceMinor: 1, currency: 'EUR' },
        });
      const answers = await Promise.all([edit('One'), edit('Two')]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200],
      );
      const revisions = (await pendingOf(p.id)).map((e) => (e.data as { revision: number }).revision);
      assert.deepEqual(revisions, [1, 2, 3]);
    });

    it('creates categories once', async () => {
      const created = await call('/categories', { method: 'POST', token: adminToken, body: { name: 'Chocolate & Cocoa' } });
      assert.equal(created.status, 201);
      assert.deepEqual(await created.json(), { id: 'chocolate-cocoa', name: 'Chocolate & Cocoa', productCount: 0 });
      const again = await call('/categories', { method: 'POST', token: adminToken, body: { name: 'x', id: 'chocolate-cocoa' } });
      assert.equal(again.status, 409);
      assert.equal(((await again.json()) as { code: string }).code, catalogErrors.categoryExists);
    });
  });

  describe('availability from inventory.stock_changed', () => {
    it('shows the newest stock figure and filters on it, ignoring older and repeated events', async () => {
      const p = await newProduct();
      assert.equal(await deliverStock({ productId: p.id, available: 4, held: 1, revision: 2 }), 'SUCCESS');
      assert.equal(await deliverStock({ productId: p.id, available: 9, held: 0, revision: 1 }), 'SUCCESS');
      assert.equal(await deliverStock({ productId: p.id, available: 9, held: 0, revision: 2 }), 'SUCCESS');
      const shown = (await (await call(`/products/${p.id}`)).json()) as Product;
      assert.deepEqual([shown.stock, shown.inStock], [4, true]);
      const inStock = async () =>
        ((await (await call(`/products?inStock=true&limit=100&category=coffee`)).json()) as { items: Product[] }).items.map(
          (i) => i.id,
        );
      assert.ok((await inStock()).includes(p.id));
      await deliverStock({ productId: p.id, available: 0, held: 4, revision: 3 });
      assert.ok(!(await inStock()).includes(p.id));
      assert.equal((await pendingOf(p.id)).length, 1, 'a stock figure is not a product write: nothing to announce');
    });

    it('drops an event that is not an inventory.stock_changed envelope', async () => {
      const res = await fetch(`${base}/events/inventory-stock-changed`, {
        method: 'POST',
        headers: { 'dapr-api-token': CATALOG_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'x', data: { productId: { $gt: '' } } }),
      });
      assert.deepEqual(await res.json(), { status: 'DROP' });
    });
  });

  describe('a database of the revision layout', () => {
    it('starts: products kept at their newest revision and announced again, reservations dropped', async () => {
      const url = scratchMongoUrl('catalog_old_it');
      const old = await mongoose.createConnection(url).asPromise();
      const db = old.db as NonNullable<typeof old.db>;
      const at = new Date('2026-11-01T10:00:00Z');
      const state = (name: string, stock: number) => ({
        name,
        sortName: name.toLowerCase(),
        description: 'Old',
        category: 'coffee',
        priceMinor: 700,
        currency: 'EUR',
        images: [],
        attributes: {},
        stock,
        lowStockThreshold: 5,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
        holds: ['r-1'],
        returns: [],
      });
      // The head one revision behind, as a race could leave it.
      await db.collection('products').insertOne({ _id: 'old-beans', rev: 1, ...state('Old beans', 7) } as never);
      await db.collection('product_revisions').insertMany([
        {
          _id: 'old-beans#0000000001',
          key: 'old-beans',
          rev: 1,
          state: state('Old beans', 7),
          at,
          events: [],
          eventsPending: false,
        },
        {
          _id: 'old-beans#0000000002',
          key: 'old-beans',
          rev: 2,
          state: state('Old beans v2', 6),
          at,
          events: [],
          eventsPending: false,
        },
      ] as never);
      await db.collection('reservations').insertOne({ _id: 'r-1', rev: 1, status: 'held' } as never);
      await db.collection('reservation_ids').insertOne({ _id: 'r-1' } as never);
      await db.collection('categories').insertOne({ _id: 'coffee', name: 'Coffee', createdAt: at } as never);
      await db.collection('meta').insertOne({ _id: 'demo-catalog-seeded', at } as never);
      await old.close();

      const started = await service.start({ ...catalogConfig(url), PORT: 0 }, { handleSignals: false, accessTokens });
      const again = await mongoose.createConnection(url).asPromise();
      try {
        const res = await fetch(`http://127.0.0.1:${started.port}/products/old-beans`, {
          headers: { 'dapr-api-token': CATALOG_TOKEN },
        });
        assert.equal(res.status, 200);
        const view = (await res.json()) as Product;
        assert.deepEqual([view.name, view.stock], ['Old beans v2', 6]);
        const names = (await (again.db as NonNullable<typeof again.db>).listCollections({}, { nameOnly: true }).toArray())
          .map((c) => c.name)
          .sort();
        assert.deepEqual(names, ['categories', 'meta', 'products']);
        const doc = await catalogModels(again).products.findById('old-beans').lean<ProductDoc & { holds?: unknown }>();
        assert.equal(doc?.holds, undefined);
        assert.deepEqual(
          doc?.pendingEvents.map((e) => [e.envelope.topic, (e.envelope.data as { revision: number }).revision]),
          [['product.updated', 3]],
        );
      } finally {
        await started.close();
        await again.dropDatabase();
        await again.close();
      }
    });
  });
});
