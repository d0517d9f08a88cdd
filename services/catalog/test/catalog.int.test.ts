/**
 * catalog on the real FerretDB (SQLite), with admin tokens signed by users' real keys and
 * verified against users' real JWKS endpoint. No sidecar runs here: the outbox relay
 * cannot publish, so recorded events stay pending where the tests can read them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { createAccessTokenVerifier, createLogger, createPool, type EventEnvelope, type RunningServer } from '@meshmart/kit';
import {
  InventoryServiceClient,
  type Reservation,
  ReservationStatus,
  type ReserveItem,
} from '@meshmart/proto/catalog/v1/inventory';
import { createScratchDatabase, infraForThisRun, type ScratchDatabase, scratchMongoUrl } from '@meshmart/stack';
import mongoose from 'mongoose';
import { loadUsersConfig } from '../../users/src/config.ts';
import { startUsers } from '../../users/src/service.ts';
import { SigningKeys } from '../../users/src/signing-keys.ts';
import { issueAccessToken } from '../../users/src/tokens.ts';
import { loadCatalogConfig } from '../src/config.ts';
import { type CatalogModels, catalogModels, type ProductState, type ReservationState } from '../src/models.ts';
import { seedDemoCatalog } from '../src/seed.ts';
import { type CatalogHandle, startCatalog } from '../src/service.ts';
import { StockMoves } from '../src/stock-moves.ts';
import { productStore, reservationStore } from '../src/stores.ts';
import { PRUNE_AFTER_MS, type VersionedStore } from '../src/versioned-store.ts';
import type { ProductView } from '../src/views.ts';

const CATALOG_TOKEN = 'catalog-int-test-token';
const USERS_TOKEN = 'users-int-test-token';
const LEASE_MS = 1000;

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
  let catalog: CatalogHandle;
  let base: string;
  let connection: mongoose.Connection;
  let models: CatalogModels;
  let products: VersionedStore<ProductState>;
  let reservations: VersionedStore<ReservationState>;
  let client: InventoryServiceClient;
  let adminToken: string;
  let customerToken: string;

  before(async function () {
    this.timeout(180_000);
    await infra.start(['postgres', 'ferretdb']);
    usersDb = await createScratchDatabase('catalog_users_it');
    const usersConfig = loadUsersConfig({
      PORT: '1',
      DATABASE_URL: usersDb.url,
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: USERS_TOKEN,
      LOG_LEVEL: 'error',
    });
    users = await startUsers({ ...usersConfig, PORT: 0 }, { handleSignals: false });
    const pool = createPool(usersDb.url, 1);
    const keys = new SigningKeys(pool, 30, 900);
    const settings = { issuer: 'meshmart-users', audience: 'meshmart', accessTtlSeconds: 600 };
    adminToken = await issueAccessToken(keys, settings, { id: randomUUID(), roles: ['customer', 'admin'] });
    customerToken = await issueAccessToken(keys, settings, { id: randomUUID(), roles: ['customer'] });
    await pool.end();

    const mongoUrl = scratchMongoUrl('catalog_it');
    const config = loadCatalogConfig({
      PORT: '1',
      MONGO_URL: mongoUrl,
      // No sidecar: publishing fails and events stay pending; JWKS comes straight from users.
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: CATALOG_TOKEN,
      LOG_LEVEL: 'error',
      SWEEP_INTERVAL_MS: '100',
      RESERVATION_LEASE_MS: String(LEASE_MS),
      OUTBOX_POLL_MS: '60000',
    });
    const accessTokens = createAccessTokenVerifier({
      jwksUrl: new URL(`http://127.0.0.1:${users.port}/.well-known/jwks.json`),
      headers: { 'dapr-api-token': USERS_TOKEN },
      issuer: 'meshmart-users',
      audience: 'meshmart',
      cacheMaxAgeMs: 60_000,
      cooldownMs: 1000,
      timeoutMs: 2000,
    });
    catalog = await startCatalog({ ...config, PORT: 0 }, { handleSignals: false, accessTokens });
    base = `http://127.0.0.1:${catalog.port}`;
    connection = await mongoose.createConnection(mongoUrl).asPromise();
    models = catalogModels(connection);
    const logger = createLogger('catalog-test', 'error');
    products = productStore(models, logger);
    reservations = reservationStore(models, logger);
    client = new InventoryServiceClient(`127.0.0.1:${catalog.port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await connection?.close();
    await catalog?.close();
    await users?.close();
    await usersDb?.drop();
  });

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

  const grpcCall = <Req, Res>(method: 'reserve' | 'commit' | 'release' | 'checkStock', request: Req, token = CATALOG_TOKEN) =>
    new Promise<Res>((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('dapr-api-token', token);
      (client[method] as unknown as (r: Req, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: Res) => void) => void).call(
        client,
        request,
        md,
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
  const reserve = (reservationId: string, items: ReserveItem[], ttlSeconds = 0) =>
    grpcCall<object, { reservation: Reservation }>('reserve', { reservationId, items, ttlSeconds }).then((r) => r.reservation);
  const commit = (reservationId: string) =>
    grpcCall<object, { reservation: Reservation }>('commit', { reservationId }).then((r) => r.reservation);
  const release = (reservationId: string) =>
    grpcCall<object, { reservation: Reservation }>('release', { reservationId }).then((r) => r.reservation);
  const stockOf = async (productId: string) => (await products.latest(productId))?.state.stock;
  const code = (expected: grpc.status) => (err: grpc.ServiceError) => err.code === expected;

  async function newProduct(stock: number, extra: Record<string, unknown> = {}): Promise<ProductView> {
    const res = await call('/products', {
      method: 'POST',
      token: adminToken,
      body: { name: `Test ${randomUUID().slice(0, 8)}`, category: 'coffee', priceMinor: 1000, currency: 'EUR', stock, ...extra },
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as ProductView;
  }

  async function revisionCount(): Promise<number> {
    return models.productRevisions.countDocuments();
  }

  describe('the demo catalog', () => {
    it('is loaded once into an empty database, even by two replicas at once', async () => {
      const list = (await (await call('/products?limit=100')).json()) as { total: number; items: ProductView[] };
      assert.ok(list.items.some((p) => p.id === 'demo-house-espresso'));
      const scratch = await mongoose.createConnection(scratchMongoUrl('catalog_seed_it')).asPromise();
      try {
        const m = catalogModels(scratch);
        const store = productStore(m, createLogger('t', 'error'));
        const logger = createLogger('seed-test', 'error');
        const loaded = await Promise.all([seedDemoCatalog(m, store, logger), seedDemoCatalog(m, store, logger)]);
        assert.equal(loaded[0] + loaded[1], 20);
        assert.equal(await m.products.countDocuments(), 20);
        const created = await m.productRevisions.find({ eventsPending: true }).lean();
        assert.equal(created.flatMap((r) => r.events).length, 20, 'one product.created each');
        assert.equal(await seedDemoCatalog(m, store, logger), 0, 'a second start loads nothing');
      } finally {
        await scratch.dropDatabase();
        await scratch.close();
      }
    });
  });

  describe('listing', () => {
    it('pages, filters and sorts', async () => {
      const page = (await (await call('/products?category=tea&sort=-price&limit=2&offset=1')).json()) as {
        items: ProductView[];
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
      const cheap = (await (await call('/products?maxPrice=800&sort=price')).json()) as { items: ProductView[] };
      assert.deepEqual(
        cheap.items.map((p) => p.id),
        ['demo-paper-filters', 'demo-rooibos-vanilla'],
      );
      const inStock = (await (await call('/products?inStock=true&limit=100')).json()) as { items: ProductView[] };
      assert.ok(inStock.items.length > 0 && inStock.items.every((p) => p.stock > 0));
    });

    it('searches names and descriptions as plain text, never as a pattern', async () => {
      const literal = (await (await call(`/products?q=${encodeURIComponent('(100)')}`)).json()) as { items: ProductView[] };
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
      const before = await revisionCount();
      const body = { name: 'Nope', category: 'coffee', priceMinor: 1, currency: 'EUR' };
      assert.equal((await call('/products', { method: 'POST', body })).status, 401);
      const forbidden = await call('/products', { method: 'POST', body, token: customerToken });
      assert.equal(forbidden.status, 403);
      assert.match(forbidden.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal((await call('/products/demo-tea-bowl', { method: 'DELETE', token: customerToken })).status, 403);
      assert.equal(
        (await call('/products/demo-tea-bowl/stock', { method: 'PUT', body: { stock: 0 }, token: customerToken })).status,
        403,
      );
      assert.equal((await call('/categories', { method: 'POST', body: { name: 'X' }, token: customerToken })).status, 403);
      assert.equal((await call('/products', { method: 'POST', body, token: `${adminToken}x` })).status, 401);
      assert.equal(await revisionCount(), before);
    });

    it('refuses bad input field by field and writes nothing', async () => {
      const before = await revisionCount();
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
      const stock = await call('/products/demo-tea-bowl/stock', {
        method: 'PUT',
        token: adminToken,
        body: { stock: { $inc: 5 } },
      });
      assert.equal(stock.status, 400);
      assert.equal(await revisionCount(), before);
    });

    it('creates, replaces, restocks and deletes, each change recording its event in the same revision', async () => {
      const created = await newProduct(3, { lowStockThreshold: 2, attributes: { origin: 'Kenya' } });
      assert.equal(((await (await call(`/products/${created.id}`)).json()) as ProductView).name, created.name);

      const replaced = await call(`/products/${created.id}`, {
        method: 'PUT',
        token: adminToken,
        body: { name: 'Kenya AA', category: 'coffee', priceMinor: 1500, currency: 'EUR' },
      });
      assert.equal(replaced.status, 200);
      assert.equal(((await replaced.json()) as ProductView).stock, 3);

      const restocked = await call(`/products/${created.id}/stock`, { method: 'PUT', token: adminToken, body: { stock: 1 } });
      assert.equal(((await restocked.json()) as ProductView).stock, 1);

      assert.equal((await call(`/products/${created.id}`, { method: 'DELETE', token: adminToken })).status, 204);
      assert.equal((await call(`/products/${created.id}`)).status, 404);
      assert.equal((await call(`/products/${created.id}`, { method: 'DELETE', token: adminToken })).status, 404);

      const revisions = await models.productRevisions.find({ key: created.id }).sort({ rev: 1 }).lean();
      const events = revisions.flatMap((r) => (r.events as Array<{ envelope: EventEnvelope }>).map((e) => e.envelope));
      assert.deepEqual(
        events.map((e) => e.topic),
        ['product.created', 'product.updated', 'product.updated', 'inventory.low_stock', 'product.deleted'],
      );
      assert.ok(
        revisions.every((r) => r.eventsPending),
        'no sidecar here: nothing is published yet',
      );
      for (const r of revisions) {
        for (const { envelope } of r.events as Array<{ envelope: EventEnvelope }>) {
          if (!envelope.topic.startsWith('product.')) continue;
          assert.equal((envelope.data as { revision: number }).revision, r.rev, `${envelope.topic} names its revision`);
        }
      }
      assert.deepEqual(events[3]?.data, { ...(events[3]?.data as object), available: 1, threshold: 2 });
      assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    });

    it('creates categories once', async () => {
      const created = await call('/categories', { method: 'POST', token: adminToken, body: { name: 'Chocolate & Cocoa' } });
      assert.equal(created.status, 201);
      assert.deepEqual(await created.json(), { id: 'chocolate-cocoa', name: 'Chocolate & Cocoa', productCount: 0 });
      const again = await call('/categories', { method: 'POST', token: adminToken, body: { name: 'x', id: 'chocolate-cocoa' } });
      assert.equal(again.status, 409);
    });
  });

  describe('inventory over gRPC', () => {
    it('never oversells: 50 concurrent Reserves of 1 against a stock of 10 hold exactly 10', async () => {
      const product = await newProduct(10);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => reserve(`race-${product.id}-${i}`, [{ productId: product.id, quantity: 1 }])),
      );
      const held = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
      assert.equal(held.length, 10);
      assert.equal(refused.length, 40);
      assert.ok(
        refused.every(
          (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION && /insufficient stock/.test(e.details),
        ),
      );
      assert.equal(await stockOf(product.id), 0);
      const levels = await models.productRevisions.find({ key: product.id }).lean();
      assert.ok(
        levels.every((r) => (r.state as unknown as ProductState).stock >= 0),
        'stock was never negative',
      );
      assert.equal((await products.latest(product.id))?.state.holds.length, 10);
    });

    it('reserves with prices and names from the catalog, idempotently by id', async () => {
      const product = await newProduct(5);
      const id = `idem-${randomUUID()}`;
      const first = await reserve(id, [{ productId: product.id, quantity: 2 }]);
      assert.equal(first.status, ReservationStatus.RESERVATION_STATUS_HELD);
      assert.deepEqual(first.lines, [
        { productId: product.id, quantity: 2, unitPriceMinor: 1000, currency: 'EUR', name: product.name },
      ]);
      const again = await reserve(id, [{ productId: product.id, quantity: 2 }]);
      assert.deepEqual(again, first);
      assert.equal(await stockOf(product.id), 3);
      await assert.rejects(reserve(id, [{ productId: product.id, quantity: 1 }]), code(grpc.status.ALREADY_EXISTS));

      const committed = await commit(id);
      assert.equal(committed.status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
      assert.equal((await commit(id)).status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
      await assert.rejects(release(id), code(grpc.status.FAILED_PRECONDITION));
      assert.equal(await stockOf(product.id), 3, 'sold stock stays sold');
      assert.deepEqual((await products.latest(product.id))?.state.holds, []);
    });

    it('releases once, and a Release that comes first keeps a late Reserve from holding anything', async () => {
      const product = await newProduct(4);
      const id = `rel-${randomUUID()}`;
      await reserve(id, [{ productId: product.id, quantity: 3 }]);
      assert.equal((await release(id)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
      assert.equal((await release(id)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
      assert.equal(await stockOf(product.id), 4);
      await assert.rejects(commit(id), code(grpc.status.FAILED_PRECONDITION));

      const early = `early-${randomUUID()}`;
      assert.equal((await release(early)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
      await assert.rejects(reserve(early, [{ productId: product.id, quantity: 1 }]), code(grpc.status.FAILED_PRECONDITION));
      assert.equal(await stockOf(product.id), 4);
    });

    it('holds all items or none: a short second item gives the first one back', async () => {
      const plenty = await newProduct(5);
      const scarce = await newProduct(1);
      await assert.rejects(
        reserve(`aon-${randomUUID()}`, [
          { productId: plenty.id, quantity: 2 },
          { productId: scarce.id, quantity: 2 },
        ]),
        (err: grpc.ServiceError) =>
          err.code === grpc.status.FAILED_PRECONDITION &&
          err.details === `insufficient stock: ${scarce.name} (requested 2, available 1)`,
      );
      assert.equal(await stockOf(plenty.id), 5);
      assert.equal(await stockOf(scarce.id), 1);
      assert.deepEqual((await products.latest(plenty.id))?.state.holds, []);
    });

    it('refuses unknown products, bad ids and bad quantities before writing anything', async () => {
      const before = await models.reservationRevisions.countDocuments();
      await assert.rejects(
        reserve(`nf-${randomUUID()}`, [{ productId: 'no-such-product', quantity: 1 }]),
        code(grpc.status.NOT_FOUND),
      );
      await assert.rejects(
        reserve('{"$gt":""}', [{ productId: 'demo-tea-bowl', quantity: 1 }]),
        code(grpc.status.INVALID_ARGUMENT),
      );
      await assert.rejects(reserve('neg', [{ productId: 'demo-tea-bowl', quantity: -1 }]), code(grpc.status.INVALID_ARGUMENT));
      await assert.rejects(reserve('ttl', [{ productId: 'demo-tea-bowl', quantity: 1 }], -5), code(grpc.status.INVALID_ARGUMENT));
      await assert.rejects(commit(`nf-${randomUUID()}`), code(grpc.status.NOT_FOUND));
      await assert.rejects(
        grpcCall('checkStock', { productIds: ['demo-tea-bowl'] }, 'wrong-token'),
        code(grpc.status.UNAUTHENTICATED),
      );
      assert.equal(await models.reservationRevisions.countDocuments(), before);
      const { levels } = await grpcCall<object, { levels: unknown[] }>('checkStock', { productIds: ['demo-house-espresso'] });
      assert.deepEqual(levels, [{ productId: 'demo-house-espresso', available: 120 }]);
    });

    it('returns expired holds to stock, and an expired reservation cannot be committed', async () => {
      const product = await newProduct(6);
      const id = `exp-${randomUUID()}`;
      await reserve(id, [{ productId: product.id, quantity: 4 }], 1);
      assert.equal(await stockOf(product.id), 2);
      // Stock comes back first; the reservation's last revision ('expiring' → 'expired') follows.
      await eventually(async () => (await stockOf(product.id)) === 6);
      await eventually(async () => (await reservations.latest(id))?.state.status === 'expired');
      await assert.rejects(commit(id), code(grpc.status.FAILED_PRECONDITION));
      assert.equal((await release(id)).status, ReservationStatus.RESERVATION_STATUS_EXPIRED);
    });

    it('raises inventory.low_stock once, when a reservation makes stock fall to the threshold', async () => {
      const product = await newProduct(4, { lowStockThreshold: 2 });
      await reserve(`low-a-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]);
      await reserve(`low-b-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]);
      await reserve(`low-c-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]);
      const revisions = await models.productRevisions.find({ key: product.id }).lean();
      const low = revisions.flatMap((r) => (r.events as Array<{ envelope: EventEnvelope }>).map((e) => e.envelope));
      const lowStock = low.filter((e) => e.topic === 'inventory.low_stock');
      assert.equal(lowStock.length, 1);
      assert.deepEqual(
        { ...(lowStock[0]?.data as object), at: undefined },
        {
          productId: product.id,
          name: product.name,
          available: 2,
          threshold: 2,
          at: undefined,
        },
      );
    });

    it('keeps admin edits and concurrent reservations both', async () => {
      const product = await newProduct(30);
      const [edit, ...held] = await Promise.all([
        call(`/products/${product.id}`, {
          method: 'PUT',
          token: adminToken,
          body: { name: 'Renamed', category: 'coffee', priceMinor: 1234, currency: 'EUR' },
        }),
        ...Array.from({ length: 12 }, (_, i) => reserve(`mix-${product.id}-${i}`, [{ productId: product.id, quantity: 2 }])),
      ]);
      assert.equal(edit.status, 200);
      assert.equal(held.length, 12);
      const latest = await products.latest(product.id);
      assert.equal(latest?.state.name, 'Renamed');
      assert.equal(latest?.state.stock, 6);
    });
  });

  describe('crash recovery', () => {
    it('undoes a Reserve whose replica died midway', async () => {
      const product = await newProduct(5);
      const id = `crash-${randomUUID()}`;
      const now = new Date();
      // What a replica leaves behind if it dies after taking the first line's stock.
      await reservations.append(id, null, {
        status: 'pending',
        lines: [
          { productId: product.id, quantity: 2, unitPriceMinor: 1000, currency: 'EUR', name: product.name },
          { productId: 'demo-tea-bowl', quantity: 1, unitPriceMinor: 3200, currency: 'EUR', name: 'Matcha Tea Bowl' },
        ],
        expiresAt: new Date(now.getTime() + 600_000),
        moved: [],
        leaseToken: 'dead-replica',
        leaseUntil: new Date(now.getTime() + 100),
        failure: null,
        shortItems: [],
        returnedAfterCommit: false,
        returnsPrunedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      assert.deepEqual(await new StockMoves(products).take(product.id, id, 2), { ok: true });
      assert.equal(await stockOf(product.id), 3);
      await eventually(async () => (await reservations.latest(id))?.state.status === 'failed');
      assert.equal((await reservations.latest(id))?.state.failure, 'interrupted');
      assert.equal(await stockOf(product.id), 5);
      assert.deepEqual((await products.latest(product.id))?.state.holds, []);
      await assert.rejects(
        reserve(id, [
          { productId: product.id, quantity: 2 },
          { productId: 'demo-tea-bowl', quantity: 1 },
        ]),
        code(grpc.status.FAILED_PRECONDITION),
      );
    });

    it("lets the caller's retry finish a Reserve its replica abandoned", async () => {
      const product = await newProduct(5);
      const id = `resume-${randomUUID()}`;
      const now = new Date();
      await reservations.append(id, null, {
        status: 'pending',
        lines: [{ productId: product.id, quantity: 2, unitPriceMinor: 1000, currency: 'EUR', name: product.name }],
        expiresAt: new Date(now.getTime() + 600_000),
        moved: [],
        leaseToken: 'dead-replica',
        leaseUntil: now,
        failure: null,
        shortItems: [],
        returnedAfterCommit: false,
        returnsPrunedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      const resumed = await reserve(id, [{ productId: product.id, quantity: 2 }]);
      assert.equal(resumed.status, ReservationStatus.RESERVATION_STATUS_HELD);
      assert.equal(await stockOf(product.id), 3);
    });

    it('gives back a hold left by a replica that stalled while its Reserve was undone', async () => {
      const product = await newProduct(5);
      const id = `orphan-${randomUUID()}`;
      await reserve(id, [{ productId: product.id, quantity: 1 }]);
      await release(id);
      // The stalled replica wakes up and takes stock for a reservation that is over.
      await new StockMoves(products).take(product.id, id, 1);
      assert.equal(await stockOf(product.id), 4);
      // The sweeper's own maintenance may get there first; either way the stock comes back once.
      await catalog.inventory.repairOrphanHolds();
      assert.equal(await stockOf(product.id), 5);
      assert.equal(await catalog.inventory.repairOrphanHolds(), 0);
    });

    it('repairs a head that a race left behind', async () => {
      const product = await newProduct(7);
      await models.products.collection.updateOne({ _id: product.id as never }, { $set: { stock: 99, rev: 0 } });
      await products.reconcile();
      const head = await models.products.findById(product.id).lean();
      assert.equal(head?.stock, 7);
    });
  });

  describe('housekeeping', () => {
    it('deletes superseded revisions once no writer can act on them, never the newest or unpublished ones', async () => {
      const product = await newProduct(9);
      await reserve(`prune-a-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]);
      await reserve(`prune-b-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]);
      await products.prune(new Date());
      assert.equal(await models.productRevisions.countDocuments({ key: product.id }), 3, 'too recent to prune');
      await products.prune(new Date(Date.now() + PRUNE_AFTER_MS + 1000));
      const left = await models.productRevisions.find({ key: product.id }).sort({ rev: 1 }).lean();
      assert.deepEqual(
        left.map((r) => [r.rev, r.eventsPending]),
        [
          [1, true],
          [3, false],
        ],
        'the unpublished product.created and the newest revision stay',
      );
      assert.equal(await stockOf(product.id), 7);
    });
  });

  describe('order.cancelled', () => {
    const deliver = (orderId: string) => {
      const data: EventEnvelope<'order.cancelled'> = {
        eventId: randomUUID(),
        topic: 'order.cancelled',
        version: 1,
        occurredAt: new Date().toISOString(),
        data: {
          orderId,
          userId: randomUUID(),
          userEmail: 'buyer@example.com',
          totalMinor: 2000,
          currency: 'EUR',
          lines: [{ productId: 'x', name: 'x', quantity: 1, unitPriceMinor: 2000 }],
          reason: 'changed my mind',
          refundedMinor: 2000,
          at: new Date().toISOString(),
        },
      };
      return fetch(`${base}/events/order-cancelled`, {
        method: 'POST',
        headers: { 'dapr-api-token': CATALOG_TOKEN, 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ id: data.eventId, specversion: '1.0', type: 'meshmart.order.cancelled.v1', data }),
      }).then(async (res) => ((await res.json()) as { status: string }).status);
    };

    it('releases a held reservation, and a redelivery changes nothing', async () => {
      const product = await newProduct(5);
      const orderId = randomUUID();
      await reserve(orderId, [{ productId: product.id, quantity: 3 }]);
      assert.equal(await deliver(orderId), 'SUCCESS');
      assert.equal(await deliver(orderId), 'SUCCESS');
      assert.equal(await stockOf(product.id), 5);
    });

    it('returns sold stock of a paid order once', async () => {
      const product = await newProduct(5);
      const orderId = randomUUID();
      await reserve(orderId, [{ productId: product.id, quantity: 2 }]);
      await commit(orderId);
      assert.equal(await stockOf(product.id), 3);
      const deliveries = await Promise.all([deliver(orderId), deliver(orderId), deliver(orderId)]);
      assert.ok(
        deliveries.every((s) => s === 'SUCCESS' || s === 'RETRY'),
        deliveries.join(),
      );
      await eventually(async () => (await reservations.latest(orderId))?.state.status === 'released');
      assert.equal(await deliver(orderId), 'SUCCESS');
      assert.equal(await stockOf(product.id), 5);
      assert.equal((await release(orderId)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
    });

    it('drops an event that is not an order.cancelled envelope', async () => {
      const res = await fetch(`${base}/events/order-cancelled`, {
        method: 'POST',
        headers: { 'dapr-api-token': CATALOG_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'x', data: { orderId: { $gt: '' } } }),
      });
      assert.deepEqual(await res.json(), { status: 'DROP' });
    });
  });
});

async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
