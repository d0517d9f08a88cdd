import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@meshmart/kit';
import { ClickRecorder } from '../src/click-recorder.ts';
import { GroupCommit } from '../src/group-commit.ts';
import type { Click } from '../src/links-store.ts';

const logger = createLogger('links-test');
// The recorder logs outages and losses loudly; here they are the point of the test.
logger.silent = true;

function click(code = 'abc1234'): Click {
  return { id: randomUUID(), code, ownerId: 'owner', at: new Date(), referrer: '(direct)', userAgent: 'curl', traceContext: {} };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A group whose first commit holds until `release()`; `batches` records every commit. */
function firstCommitHeld(options: { windowMs: number; maxInFlight: number }) {
  const batches: number[][] = [];
  let release = () => {};
  const group = new GroupCommit<number>(
    async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    },
    { ...options, maxBatch: 1000 },
  );
  return { group, batches, release: () => release() };
}

describe('group commit', () => {
  it('commits concurrent submissions together and resolves each once its batch is stored', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number>(
      async (items) => {
        batches.push(items);
      },
      { windowMs: 5, maxBatch: 1000, maxInFlight: 1 },
    );
    await Promise.all(Array.from({ length: 100 }, (_, i) => group.submit(i)));
    assert.equal(batches.length, 1);
    assert.deepEqual(
      batches[0],
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('never puts more than maxBatch items in one commit', async () => {
    const sizes: number[] = [];
    const group = new GroupCommit<number>(async (items) => void sizes.push(items.length), {
      windowMs: 50,
      maxBatch: 30,
      maxInFlight: 2,
    });
    await Promise.all(Array.from({ length: 100 }, (_, i) => group.submit(i)));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      100,
    );
    assert.ok(Math.max(...sizes) <= 30, `batch sizes ${sizes.join(', ')}`);
  });

  it('gathers what arrives during a commit into the next one when no more commits may run', async () => {
    const { group, batches, release } = firstCommitHeld({ windowMs: 0, maxInFlight: 1 });
    const first = group.submit(0);
    await sleep(10);
    const rest = Array.from({ length: 10 }, (_, i) => group.submit(i + 1));
    await sleep(10);
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(batches, [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('commits a lone submission at the end of the turn instead of waiting the window', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number>(async (items) => void batches.push(items), {
      windowMs: 60_000,
      maxBatch: 1000,
      maxInFlight: 4,
    });
    const outcome = await Promise.race([
      Promise.all([group.submit(1), group.submit(2)]).then(() => 'committed'),
      sleep(1000).then(() => 'still waiting'),
    ]);
    assert.equal(outcome, 'committed');
    assert.deepEqual(batches, [[1, 2]]);
  });

  it('waits the window for company while another commit runs, even with a commit slot free', async () => {
    const { group, batches, release } = firstCommitHeld({ windowMs: 60_000, maxInFlight: 4 });
    const first = group.submit(0);
    await sleep(10);
    const second = group.submit(1);
    await sleep(50);
    assert.deepEqual(batches, [[0]], 'the second item did not wait for company');
    release();
    await Promise.all([first, second]);
    assert.deepEqual(batches, [[0], [1]]);
  });

  it('rejects every submission of a failed batch, and only those', async () => {
    let calls = 0;
    const group = new GroupCommit<number>(
      async () => {
        calls++;
        if (calls === 1) throw new Error('database down');
      },
      { windowMs: 1, maxBatch: 1000, maxInFlight: 1 },
    );
    const failed = await Promise.allSettled([group.submit(1), group.submit(2)]);
    assert.deepEqual(
      failed.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    await group.submit(3);
    await group.drain();
    assert.equal(calls, 2);
  });
});

describe('click recorder', () => {
  const options = { windowMs: 1, maxBatch: 50, maxInFlight: 2, backlogMax: 1000, retryMs: 20 };

  it('answers "stored" once the click is committed', async () => {
    const stored: Click[] = [];
    const recorder = new ClickRecorder(async (clicks) => stored.push(...clicks), options, logger);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => recorder.record(click())));
    assert.deepEqual(new Set(outcomes), new Set(['stored']));
    assert.equal(stored.length, 20);
    await recorder.close();
  });

  it('keeps clicks while the database refuses them and stores each exactly once when it is back', async () => {
    let down = true;
    const stored = new Map<string, Click>();
    const recorder = new ClickRecorder(
      async (clicks) => {
        if (down) throw new Error('connect ECONNREFUSED');
        for (const c of clicks) stored.set(c.id, c);
        return clicks.length;
      },
      options,
      logger,
    );
    const during = Array.from({ length: 120 }, () => click());
    const outcomes = await Promise.all(during.map((c) => recorder.record(c)));
    assert.deepEqual(new Set(outcomes), new Set(['queued']));
    assert.equal(recorder.pending, 120);
    down = false;
    const deadline = Date.now() + 5000;
    while (recorder.pending > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(recorder.pending, 0);
    assert.deepEqual(new Set(stored.keys()), new Set(during.map((c) => c.id)));
    assert.equal(await recorder.record(click()), 'stored');
    await recorder.close();
  });

  it('drops clicks beyond the backlog limit and says so', async () => {
    const recorder = new ClickRecorder(
      async () => {
        throw new Error('down');
      },
      { ...options, backlogMax: 3, retryMs: 60_000 },
      logger,
    );
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => recorder.record(click())));
    assert.equal(outcomes.filter((o) => o === 'queued').length, 3);
    assert.equal(outcomes.filter((o) => o === 'dropped').length, 2);
    await recorder.close();
  });

  it('stores the backlog on close when the database is back', async () => {
    let down = true;
    let stored = 0;
    const recorder = new ClickRecorder(
      async (clicks) => {
        if (down) throw new Error('down');
        stored += clicks.length;
        return clicks.length;
      },
      { ...options, retryMs: 60_000 },
      logger,
    );
    await Promise.all(Array.from({ length: 7 }, () => recorder.record(click())));
    down = false;
    await recorder.close();
    assert.equal(stored, 7);
  });
});
