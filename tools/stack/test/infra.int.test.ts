import assert from 'node:assert/strict';
import { eventually } from '@meshmart/test-support';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { type Infra, infraStartedHere, startInfra } from '../src/infra/index.ts';
import { infraPorts } from '../src/ports.ts';
import { recordedProcesses } from '../src/processes.ts';
import { isPortOpen } from '../src/readiness.ts';
import { createScratchDatabase, infraUrls, scratchMongoUrl } from '../src/test-infra.ts';

describe('startInfra()', function () {
  this.timeout(120_000);
  let infra: Infra;
  let restarted: Infra | undefined;

  before(async () => {
    infra = await startInfra({ quiet: true });
  });

  after(async () => {
    await restarted?.stop();
    await infra?.stop();
  });

  it("brings up PostgreSQL with the services' databases", async () => {
    const client = new pg.Client({ connectionString: infraUrls.postgres('users') });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
      assert.equal(rows[0]?.db, 'users');
    } finally {
      await client.end();
    }
  });

  it('creates and drops a scratch database', async () => {
    const scratch = await createScratchDatabase('infra_test');
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    await client.query('CREATE TABLE t (id int)');
    await client.end();
    await scratch.drop();
    const admin = new pg.Client({ connectionString: infraUrls.postgres('postgres') });
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [scratch.name]);
    await admin.end();
    assert.equal(rowCount, 0);
  });

  it('drops a scratch database right after a pool of it ends without failing the pool, and closes a pool left open', async () => {
    const errors = async (end: boolean, rounds: number) => {
      const seen: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const scratch = await createScratchDatabase('infra_test');
        const pool = new pg.Pool({ connectionString: scratch.url, max: 8 });
        pool.on('error', (err) => seen.push(err.message));
        await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT pg_sleep(0.01)')));
        if (end) await pool.end();
        await scratch.drop();
        if (!end) await pool.end();
      }
      return seen;
    };
    assert.deepEqual(await errors(true, 10), [], 'the ended pools saw no error');
    const leftOpen = await errors(false, 1);
    assert.ok(leftOpen.length > 0, 'the drop closes connections a test left open');
    assert.ok(
      leftOpen.every((m) => /terminating connection due to administrator command/.test(m)),
      leftOpen.join('; '),
    );
  });

  it('brings up Redis', async () => {
    const redis = new Redis(infraUrls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      await redis.set('stack-infra-test', 'ok', 'EX', 10);
      assert.equal(await redis.get('stack-infra-test'), 'ok');
    } finally {
      redis.disconnect();
    }
  });

  it("brings up RabbitMQ with the services' credentials", async () => {
    const connection = await amqp.connect(infraUrls.rabbitmq);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      channel.sendToQueue(queue, Buffer.from('ping'));
      const message = await new Promise<amqp.ConsumeMessage | null>((resolve) => {
        void channel.consume(queue, resolve, { noAck: true });
      });
      assert.equal(message?.content.toString(), 'ping');
    } finally {
      await connection.close();
    }
  });

  it('brings up a MongoDB-compatible server', async () => {
    const client = new MongoClient(scratchMongoUrl('infra_test'), { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    try {
      const things = client.db().collection('things');
      await things.insertOne({ name: 'a' });
      assert.equal((await things.findOne({ name: 'a' }))?.name, 'a');
      await client.db().dropDatabase();
    } finally {
      await client.close();
    }
  });

  it("sends a keyed find's `_id` to FerretDB's PostgreSQL beside further conditions, not decoding the collection", async () => {
    const client = new MongoClient(scratchMongoUrl('infra_test'), { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    try {
      await client
        .db()
        .collection('products')
        .insertOne({ _id: 'p-1' as never, stockRevision: 3, name: 'a' });
      const pushedDown = async (filter: object) =>
        ((await client.db().command({ explain: { find: 'products', filter } })) as { filterPushdown?: boolean }).filterPushdown;
      // catalog's stock update and product read: `filterPushdown` says part of the filter
      // (the `_id`) went down; on the SQLite handler only `_id` alone did.
      assert.equal(await pushedDown({ _id: 'p-1', stockRevision: { $lt: 4 } }), true);
      assert.equal(await pushedDown({ _id: 'p-1', deletedAt: null }), true);
      assert.equal(await pushedDown({ name: { $regex: 'a' } }), false, 'a filter it cannot take is told apart');
    } finally {
      await client.db().dropDatabase();
      await client.close();
    }
  });

  it('starts FerretDB whole again when its PostgreSQL has gone, rather than reusing half of it', async () => {
    // Stopping a server another process runs would pull it from under that process.
    assert.ok(infraStartedHere().includes('ferretdb'), 'this run started FerretDB (stop a stack running elsewhere first)');
    const store = recordedProcesses().find((r) => r.name === 'ferretdb-postgres');
    assert.ok(store, "FerretDB's PostgreSQL is recorded");
    process.kill(store.pid, 'SIGINT');
    await eventually("FerretDB's PostgreSQL to stop", async () =>
      (await isPortOpen(infraPorts.ferretdbPostgres)) ? undefined : true,
    );
    assert.ok(await isPortOpen(infraPorts.ferretdb), 'FerretDB itself still listens');
    restarted = await startInfra({ only: ['ferretdb'], quiet: true });
    assert.deepEqual(restarted.started, ['ferretdb']);
    const client = new MongoClient(scratchMongoUrl('infra_test'), { serverSelectionTimeoutMS: 5000 });
    try {
      await client.db().collection('things').insertOne({ name: 'b' });
      assert.equal((await client.db().collection('things').findOne({ name: 'b' }))?.name, 'b');
    } finally {
      await client.db().dropDatabase();
      await client.close();
    }
  });

  it('reuses what is already running instead of starting it twice', async () => {
    const again = await startInfra({ quiet: true });
    assert.deepEqual(again.started, []);
    assert.equal(again.reused.length, 4);
  });

  it('stops only what it started', async () => {
    const ours = await startInfra({ only: ['redis'], quiet: true });
    assert.deepEqual(ours.started, []);
    await ours.stop();
    assert.ok(await isPortOpen(infraPorts.redis));
  });
});
