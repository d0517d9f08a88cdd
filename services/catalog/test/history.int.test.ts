/**
 * catalog keeps its speed as its history grows (real FerretDB on SQLite, which filters by
 * nothing but `_id` without reading the whole collection). It loads 2,000 settled
 * reservations the way the previous layout left them, with their heads and revisions in
 * the live collections, and prints Reserve/Commit/Release latency before, with that
 * history, and after archiving it. Timings are printed, not asserted: speed targets belong
 * in benchmarks. What is asserted is that archiving leaves only live reservations where
 * background work looks, and that archived ids still answer repeated calls by id.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { createAccessTokenVerifier, createLogger } from '@meshmart/kit';
import { InventoryServiceClient, type Reservation, ReservationStatus } from '@meshmart/proto/catalog/v1/inventory';
import { infraForThisRun, scratchMongoUrl } from '@meshmart/stack';
import mongoose from 'mongoose';
import { loadCatalogConfig } from '../src/config.ts';
import { type CatalogModels, catalogModels, type ReservationState, type ReservationStatus as Status } from '../src/models.ts';
import { newProduct } from '../src/products.ts';
import { type CatalogHandle, startCatalog } from '../src/service.ts';
import { productStore, SETTLED } from '../src/stores.ts';
import { revisionId } from '../src/versioned-store.ts';

const TOKEN = 'catalog-history-test-token';
const HISTORY = 2000;
const SAMPLES = 20;
const DAY_MS = 86_400_000;
const STALE_HOLDS = 5;

const infra = infraForThisRun();

describe('catalog with a long history', function () {
  this.timeout(300_000);
  let catalog: CatalogHandle;
  let config: ReturnType<typeof loadCatalogConfig>;
  let accessTokens: ReturnType<typeof createAccessTokenVerifier>;
  let connection: mongoose.Connection;
  let models: CatalogModels;
  let client: InventoryServiceClient;
  let productId: string;
  let productName: string;

  before(async function () {
    this.timeout(180_000);
    await infra.start(['ferretdb']);
    const mongoUrl = scratchMongoUrl('catalog_history_it');
    config = loadCatalogConfig({
      PORT: '1',
      MONGO_URL: mongoUrl,
      DAPR_HTTP_PORT: '9',
      APP_API_TOKEN: TOKEN,
      LOG_LEVEL: 'error',
      SEED_DEMO_CATALOG: 'false',
      // The test runs the sweeper's work itself, so what it measures is only the calls.
      SWEEP_INTERVAL_MS: '60000',
      OUTBOX_POLL_MS: '60000',
    });
    // No admin call is made; the verifier is never asked.
    accessTokens = createAccessTokenVerifier({
      jwksUrl: new URL('http://127.0.0.1:9/.well-known/jwks.json'),
      issuer: 'meshmart-users',
      audience: 'meshmart',
      cacheMaxAgeMs: 60_000,
      cooldownMs: 1000,
      timeoutMs: 1000,
    });
    catalog = await startCatalog({ ...config, PORT: 0 }, { handleSignals: false, accessTokens });
    connection = await mongoose.createConnection(mongoUrl).asPromise();
    models = catalogModels(connection);
    productId = `hist-${randomUUID()}`;
    productName = 'Blue Mug';
    const state = newProduct(
      {
        name: productName,
        description: '',
        category: 'mugs',
        priceMinor: 1200,
        currency: 'EUR',
        images: [],
        attributes: {},
        stock: 100_000,
        lowStockThreshold: 0,
      },
      new Date(),
    );
    assert.ok(await productStore(models, createLogger('t', 'error')).append(productId, null, state));
    client = new InventoryServiceClient(`127.0.0.1:${catalog.port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await connection?.db?.dropDatabase();
    await connection?.close();
    await catalog?.close();
  });

  const rpc = (method: 'reserve' | 'commit' | 'release', request: object) =>
    new Promise<Reservation>((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('dapr-api-token', TOKEN);
      (
        client[method] as unknown as (
          r: object,
          m: grpc.Metadata,
          cb: (e: grpc.ServiceError | null, v: { reservation: Reservation }) => void,
        ) => void
      ).call(client, request, md, (err, res) => (err ? reject(err) : resolve(res.reservation)));
    });
  const items = (quantity = 1) => [{ productId, quantity }];
  const reserve = (reservationId: string, quantity = 1) =>
    rpc('reserve', { reservationId, items: items(quantity), ttlSeconds: 0 });
  const commit = (reservationId: string) => rpc('commit', { reservationId });
  const release = (reservationId: string) => rpc('release', { reservationId });

  async function timed(work: () => Promise<unknown>): Promise<number> {
    const start = performance.now();
    await work();
    return performance.now() - start;
  }

  const p50 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? Number.NaN;

  /** p50 of 20 Reserves one after another, then of Commit (half of them) and Release (the other half), and of 10 Reserves at once. */
  async function measure(label: string): Promise<void> {
    const ids = Array.from({ length: SAMPLES }, () => `m-${randomUUID()}`);
    const reserves: number[] = [];
    for (const id of ids) reserves.push(await timed(() => reserve(id)));
    const commits: number[] = [];
    const releases: number[] = [];
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 0) commits.push(await timed(() => commit(id)));
      else releases.push(await timed(() => release(id)));
    }
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => timed(() => reserve(`c-${randomUUID()}`))));
    const f = (n: number) => `${n.toFixed(1)} ms`;
    console.log(
      `      ${label}: reserve p50 ${f(p50(reserves))}, commit p50 ${f(p50(commits))}, release p50 ${f(p50(releases))}, ` +
        `10 concurrent reserves p50 ${f(p50(concurrent))}`,
    );
  }

  function settledState(status: Status, at: Date): ReservationState {
    const line = { productId, quantity: 1, unitPriceMinor: 1200, currency: 'EUR', name: productName };
    return {
      status,
      lines: status === 'released' ? [] : [line],
      expiresAt: at,
      moved: status === 'released' ? [] : [productId],
      leaseToken: null,
      leaseUntil: null,
      failure: status === 'failed' ? 'out_of_stock' : null,
      shortItems: status === 'failed' ? [{ productId, name: productName, requested: 1, available: 0 }] : [],
      returnedAfterCommit: false,
      returnsPrunedAt: null,
      createdAt: at,
      updatedAt: at,
    };
  }

  /** Settled reservations with three revisions each and a head, as days of checkouts leave them. */
  async function loadHistory(): Promise<Map<Status, string>> {
    const statuses: Status[] = ['committed', 'released', 'expired', 'failed'];
    const samples = new Map<Status, string>();
    const at = new Date(Date.now() - DAY_MS);
    const revisions: object[] = [];
    const heads: object[] = [];
    for (let i = 0; i < HISTORY; i++) {
      const status = statuses[i % statuses.length] as Status;
      const key = `old-${status}-${i}`;
      samples.set(status, key);
      const final = settledState(status, at);
      const held = { ...final, status: 'held' as const };
      const pending = { ...final, status: 'pending' as const, moved: [] };
      for (const [rev, state] of [pending, held, final].entries()) {
        revisions.push({ _id: revisionId(key, rev + 1), key, rev: rev + 1, state, at, events: [], eventsPending: false });
      }
      heads.push({ _id: key, ...final, rev: 3 });
    }
    // Holds whose time ran out while no sweeper ran: the sweeper must find them after the upgrade.
    for (let i = 0; i < STALE_HOLDS; i++) {
      const key = `old-held-${i}`;
      const held = { ...settledState('committed', at), status: 'held' as const };
      revisions.push({ _id: revisionId(key, 1), key, rev: 1, state: held, at, events: [], eventsPending: false });
      heads.push({ _id: key, ...held, rev: 1 });
    }
    for (let i = 0; i < revisions.length; i += 500) {
      await models.reservationRevisions.collection.insertMany(revisions.slice(i, i + 500) as never[]);
    }
    for (let i = 0; i < heads.length; i += 500)
      await models.reservations.collection.insertMany(heads.slice(i, i + 500) as never[]);
    return samples;
  }

  /** What the first start after the upgrade does with a database written before the index collections. */
  async function restartAfterUpgrade(): Promise<void> {
    await models.meta.deleteOne({ _id: 'index-collections-v1' });
    const start = performance.now();
    const replica = await startCatalog({ ...config, PORT: 0 }, { handleSignals: false, accessTokens });
    console.log(
      `      a replica started on it in ${((performance.now() - start) / 1000).toFixed(1)} s (listing its pending work once)`,
    );
    await replica.close();
  }

  it('answers as fast with 2,000 settled reservations behind it, and archives them out of the live collections', async () => {
    await measure('empty database');

    const samples = await loadHistory();
    const countStart = performance.now();
    const stored = await models.reservationRevisions.countDocuments();
    console.log(
      `      loaded ${HISTORY} settled reservations: ${stored} revisions (a count takes ${(performance.now() - countStart).toFixed(0)} ms)`,
    );
    await restartAfterUpgrade();
    await measure('with the history in the live collections');

    const live = `live-${randomUUID()}`;
    await reserve(live);
    const future = new Date(Date.now() + DAY_MS);
    let archived = 0;
    const archiveStart = performance.now();
    for (let n = -1; n !== 0; ) {
      n = await catalog.inventory.archiveSettled(future);
      archived += n;
    }
    console.log(`      archived ${archived} reservations in ${((performance.now() - archiveStart) / 1000).toFixed(1)} s`);
    assert.ok(archived >= HISTORY);
    await catalog.inventory.sweep();
    await measure('after archiving');

    // The sweeper's list and the live collections hold only what is not settled.
    await catalog.inventory.archiveSettled(future);
    await catalog.inventory.sweep();
    const heads = await models.reservations.find().lean<Array<{ _id: string; status: Status }>>();
    assert.ok(heads.length > 0);
    assert.ok(
      heads.every((h) => !SETTLED.has(h.status)),
      `settled heads left: ${heads.filter((h) => SETTLED.has(h.status)).length}`,
    );
    assert.ok(heads.some((h) => h._id === live));
    const headIds = new Set(heads.map((h) => h._id));
    const revisionKeys = (await models.reservationRevisions.distinct('key')) as string[];
    assert.ok(
      revisionKeys.every((k) => headIds.has(k)),
      'revisions of archived reservations are gone',
    );
    const open = (await models.openReservations.find().lean()).map((e) => e._id).sort();
    assert.deepEqual(open, [...headIds].sort());
    assert.equal(await models.reservationArchive.countDocuments({ _id: samples.get('committed') }), 1);

    // Archived ids still answer by id, and repeated calls move no stock.
    const stockBefore = (await catalog.inventory.checkStock([productId]))[0]?.available;
    const committed = samples.get('committed') as string;
    assert.equal((await commit(committed)).status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
    assert.equal((await reserve(committed)).status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
    await assert.rejects(release(committed), (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION);
    assert.equal((await release(samples.get('released') as string)).status, ReservationStatus.RESERVATION_STATUS_RELEASED);
    await assert.rejects(
      reserve(samples.get('released') as string),
      (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION && /released before it was made/.test(e.details),
    );
    assert.equal((await release(samples.get('expired') as string)).status, ReservationStatus.RESERVATION_STATUS_EXPIRED);
    await assert.rejects(
      reserve(samples.get('failed') as string),
      (e: grpc.ServiceError) =>
        e.code === grpc.status.FAILED_PRECONDITION &&
        e.details === `insufficient stock: ${productName} (requested 1, available 0)`,
    );
    assert.equal((await catalog.inventory.checkStock([productId]))[0]?.available, stockBefore);
    for (let i = 0; i < STALE_HOLDS; i++) {
      const held = await release(`old-held-${i}`);
      assert.equal(
        held.status,
        ReservationStatus.RESERVATION_STATUS_EXPIRED,
        'the sweeper found a hold written before the upgrade',
      );
    }
    assert.equal(
      await models.reservations.countDocuments({ _id: committed }),
      0,
      'answering from the archive brings nothing back',
    );
  });

  it('names the product in the out-of-stock error', async () => {
    await assert.rejects(
      reserve(`short-${randomUUID()}`, 1_000_000),
      (e: grpc.ServiceError) =>
        e.code === grpc.status.FAILED_PRECONDITION &&
        /^insufficient stock: Blue Mug \(requested 1000000, available \d+\)$/.test(e.details),
    );
  });
});
