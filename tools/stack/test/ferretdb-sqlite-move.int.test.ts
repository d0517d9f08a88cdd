/**
 * A stack from before FerretDB moved to PostgreSQL kept catalog's documents in SQLite
 * files; the first start after the change must carry them over, once, and keep the old
 * files. The old store is made here by the same FerretDB binary with its SQLite handler,
 * and the documents land in the real FerretDB the stack runs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mongoUrl } from '@meshmart/kit/deployment/local-target';
import { MongoClient } from 'mongodb';
import { moveSqliteStore, serveSqliteStore } from '../src/infra/ferretdb-sqlite-move.ts';
import { type Infra, startInfra } from '../src/infra/index.ts';
import { toolsBin } from '../src/paths.ts';

const binary = path.join(toolsBin, 'ferretdb');
const suffix = `${Date.now().toString(36)}_${process.pid}`;
const moved = `move_test_${suffix}`;
const leftBehind = `move_scratch_${suffix}`;
const PRODUCTS = 1_234;

/** Writes `fill` into an SQLite store at `dir` through FerretDB's SQLite handler. */
async function sqliteStore(dir: string, fill: (client: MongoClient) => Promise<void>): Promise<void> {
  const server = await serveSqliteStore(binary, dir);
  const client = new MongoClient(server.url);
  try {
    await fill(client);
  } finally {
    await client.close();
    await server.stop();
  }
}

describe("FerretDB's move from SQLite to PostgreSQL", function () {
  this.timeout(120_000);
  let infra: Infra;
  let work: string;
  let sqliteDir: string;
  const target = new MongoClient(mongoUrl(''));

  before(async () => {
    infra = await startInfra({ only: ['ferretdb'], quiet: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'meshmart-move-test-'));
    sqliteDir = path.join(work, 'sqlite');
    await mkdir(sqliteDir);
    await sqliteStore(sqliteDir, async (client) => {
      const products = client.db(moved).collection('products');
      await products.insertMany(
        Array.from({ length: PRODUCTS }, (_, i) => ({
          _id: `p-${i}` as never,
          name: `Product ${i}`,
          priceMinor: 100 + i,
          attributes: { colour: i % 2 ? 'red' : 'blue' },
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        })),
      );
      await products.createIndex({ priceMinor: 1 }, { name: 'by_price' });
      await client.db(moved).createCollection('empty');
      await client.db(leftBehind).collection('things').insertOne({ name: 'a test scratch database' });
    });
    await target.connect();
  });

  after(async () => {
    await target
      .db(moved)
      .dropDatabase()
      .catch(() => {});
    await target
      .db(leftBehind)
      .dropDatabase()
      .catch(() => {});
    await target.close();
    if (work) await rm(work, { recursive: true, force: true });
    await infra?.stop();
  });

  const move = () =>
    moveSqliteStore({ sqliteDir, ferretdbBinary: binary, targetUrl: mongoUrl(''), databases: [moved, 'never_made'] });

  it('copies the named databases whole, keeps the old files, and leaves the rest behind', async () => {
    const result = await move();
    assert.deepEqual(result, { databases: [moved], inserted: PRODUCTS, keptIn: `${sqliteDir}.moved` });
    assert.ok(!existsSync(sqliteDir) && existsSync(path.join(`${sqliteDir}.moved`, `${moved}.sqlite`)), 'the old files are kept');
    const products = target.db(moved).collection('products');
    assert.equal(await products.countDocuments(), PRODUCTS);
    assert.deepEqual(await products.findOne({ _id: 'p-1233' as never }), {
      _id: 'p-1233',
      name: 'Product 1233',
      priceMinor: 1333,
      attributes: { colour: 'red' },
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 20, 33)),
    });
    assert.deepEqual(
      (await products.indexes()).map((i) => [i.name, i.key]),
      [
        ['_id_', { _id: 1 }],
        ['by_price', { priceMinor: 1 }],
      ],
    );
    const collections = (await target.db(moved).listCollections().toArray()).map((c) => c.name).sort();
    assert.deepEqual(collections, ['empty', 'products']);
    const databases = (await target.db().admin().listDatabases()).databases.map((d) => d.name);
    assert.ok(!databases.includes(leftBehind), `${leftBehind} is not one of the databases to move`);
  });

  it('has nothing to do the next time', async () => {
    assert.equal(await move(), undefined);
  });

  it('runs again after being cut short: adds what is missing, doubles nothing, keeps later changes', async () => {
    const products = target.db(moved).collection('products');
    await products.deleteMany({ priceMinor: { $gte: 1000 } });
    await products.updateOne({ _id: 'p-1' as never }, { $set: { name: 'Renamed since the move' } });
    await rename(`${sqliteDir}.moved`, sqliteDir);
    const again = await move();
    assert.equal(again?.inserted, PRODUCTS - 900, 'only the deleted ones');
    assert.equal(await products.countDocuments(), PRODUCTS);
    assert.equal((await products.findOne({ _id: 'p-1000' as never }))?.name, 'Product 1000');
    assert.equal((await products.findOne({ _id: 'p-1' as never }))?.name, 'Renamed since the move');
  });
});
