/**
 * The relay's wake-up: an outbox write notifies `outbox` with its topic when, and only
 * when, its transaction commits rows. The relay also polls, so without this check a lost
 * notification would only show as events arriving a poll later.
 */
import assert from 'node:assert/strict';
import { createScratchDatabase, type ScratchDatabase } from '@meshmart/stack';
import { infraForThisRun } from '@meshmart/test-support';
import pg from 'pg';
import { createPool, inTransaction, migrate } from '../src/db.ts';
import { enqueueEvents, outboxMigration } from '../src/outbox.ts';

const infra = infraForThisRun();

describe('outbox wake-up on the real PostgreSQL', function () {
  this.timeout(30_000);
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let listener: pg.Client;
  const heard: string[] = [];

  before(async function () {
    this.timeout(180_000);
    await infra.start(['postgres']);
    db = await createScratchDatabase('kit_outbox_it');
    pool = createPool(db.url, 4);
    await migrate(pool, [outboxMigration]);
    listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    await listener.query('LISTEN outbox');
  });

  after(async () => {
    await listener?.end();
    await pool?.end();
    await db?.drop();
  });

  const event = (at: string) => ({
    data: { qrId: 'qr-1', ownerId: 'owner-1', format: 'png' as const, size: 256, cached: false, batch: false, at },
    traceContext: {},
  });

  /** Notifications arrive on the listener's connection after the commit; a round trip on it flushes them. */
  async function heardSince(mark: number): Promise<string[]> {
    await listener.query('SELECT 1');
    return heard.slice(mark);
  }

  it('notifies the topic once per committed write, whatever the number of events', async () => {
    const mark = heard.length;
    await inTransaction(pool, (client) =>
      enqueueEvents(client, 'qr.generated', [event(new Date().toISOString()), event(new Date().toISOString())]),
    );
    assert.deepEqual(await heardSince(mark), ['outbox:qr.generated']);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE topic = 'qr.generated'");
    assert.equal(rows[0]?.n, 2);
  });

  it('does not notify for a write whose transaction rolls back, nor for no events', async () => {
    const mark = heard.length;
    await assert.rejects(
      inTransaction(pool, async (client) => {
        await enqueueEvents(client, 'qr.generated', [event(new Date().toISOString())]);
        throw new Error('rolled back on purpose');
      }),
      /rolled back on purpose/,
    );
    await inTransaction(pool, (client) => enqueueEvents(client, 'qr.generated', []));
    assert.deepEqual(await heardSince(mark), []);
  });
});
