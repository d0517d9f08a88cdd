import assert from 'node:assert/strict';
import { FixedWindowLimiter } from '../src/rate-limit.ts';
import { MemoryStateStore } from './support.ts';

describe('fixed-window rate limiter', () => {
  let store: MemoryStateStore;
  let now: number;

  function limiter(max = 3, windowSeconds = 60): FixedWindowLimiter {
    return new FixedWindowLimiter({
      store,
      storeName: 'statestore',
      policies: { auth: { max, windowSeconds }, api: { max: 100, windowSeconds }, redirect: { max, windowSeconds, lease: 10 } },
      now: () => now,
    });
  }

  beforeEach(() => {
    store = new MemoryStateStore();
    now = Date.UTC(2026, 0, 1, 12, 0, 15); // 15 s into a minute window
  });

  it('allows up to the limit in a window, then refuses until the window ends', async () => {
    const l = limiter(3);
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const d = await l.hit('auth', 'ip:10.0.0.1');
      assert.ok(d.allowed);
      remaining.push(d.remaining);
    }
    assert.deepEqual(remaining, [2, 1, 0]);
    const refused = await l.hit('auth', 'ip:10.0.0.1');
    assert.deepEqual(refused, { allowed: false, limit: 3, retryAfterSeconds: 45 });
    assert.equal(store.writes, 3, 'a refused request does not write');

    now += 45_000;
    assert.ok((await l.hit('auth', 'ip:10.0.0.1')).allowed, 'a new window starts a new budget');
  });

  it('keeps separate budgets per client and per route group', async () => {
    const l = limiter(1);
    assert.ok((await l.hit('auth', 'ip:10.0.0.1')).allowed);
    assert.ok(!(await l.hit('auth', 'ip:10.0.0.1')).allowed);
    assert.ok((await l.hit('auth', 'ip:10.0.0.2')).allowed);
    assert.ok((await l.hit('auth', 'user:u1')).allowed);
    assert.ok((await l.hit('api', 'ip:10.0.0.1')).allowed);
  });

  it('gives counters a time to live so old windows leave the store', async () => {
    const saved: Array<number | undefined> = [];
    const save = store.saveState.bind(store);
    store.saveState = (name, entry) => {
      saved.push(entry.ttlSeconds);
      return save(name, entry);
    };
    await limiter(3, 60).hit('auth', 'ip:10.0.0.1');
    assert.deepEqual(saved, [120]);
  });

  it('lets exactly the limit through under concurrent requests and counts each once', async () => {
    const l = limiter(10);
    const decisions = await Promise.all(Array.from({ length: 25 }, () => l.hit('auth', 'ip:10.0.0.9')));
    assert.equal(decisions.filter((d) => d.allowed).length, 10);
    const [entry] = [...store.entries.values()];
    assert.equal(entry?.value, 10, 'every allowed request was counted exactly once');
  });

  it('does not refuse a client’s parallel requests while it is under its limit', async () => {
    const l = limiter(100);
    const decisions = await Promise.all(Array.from({ length: 60 }, () => l.hit('api', 'user:u1')));
    assert.ok(decisions.every((d) => d.allowed));
    assert.equal([...store.entries.values()][0]?.value, 60);
  });

  it('shares one budget between two limiters on one store, as replicas do', async () => {
    const [a, b] = [limiter(30), limiter(30)];
    const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('auth', 'user:u2')));
    assert.equal(decisions.filter((d) => d.allowed).length, 30);
  });

  it('treats a lost first-write race as a conflict and retries', async () => {
    const l = limiter(5);
    const [a, b] = await Promise.all([l.hit('auth', 'ip:10.0.0.3'), l.hit('auth', 'ip:10.0.0.3')]);
    assert.ok(a.allowed && b.allowed);
    assert.equal([...store.entries.values()][0]?.value, 2);
  });

  it('remembers a used-up window, so refusals cost no store calls', async () => {
    const l = limiter(1);
    let reads = 0;
    const get = store.getState.bind(store);
    store.getState = (name, key) => {
      reads++;
      return get(name, key);
    };
    assert.ok((await l.hit('auth', 'ip:10.0.0.4')).allowed);
    assert.ok(!(await l.hit('auth', 'ip:10.0.0.4')).allowed);
    const before = reads;
    for (let i = 0; i < 5; i++) assert.ok(!(await l.hit('auth', 'ip:10.0.0.4')).allowed);
    assert.equal(reads, before);
    now += 45_000;
    assert.ok((await l.hit('auth', 'ip:10.0.0.4')).allowed, 'until the window ends');
  });

  it('leases: one write takes a slice of the budget and the rest is granted locally', async () => {
    const l = limiter(25);
    const remaining = [];
    for (let i = 0; i < 25; i++) {
      const d = await l.hit('redirect', 'ip:10.0.0.5');
      assert.ok(d.allowed);
      remaining.push(d.remaining);
    }
    assert.deepEqual(remaining, [...Array(25).keys()].reverse(), 'remaining counts down as without leases');
    assert.equal(store.writes, 3, 'slices of 10, 10 and the last 5');
    assert.ok(!(await l.hit('redirect', 'ip:10.0.0.5')).allowed);
    assert.equal([...store.entries.values()][0]?.value, 25);
  });

  it('never lets replicas with leases through beyond the shared limit, and strands less than a lease each', async () => {
    const [a, b] = [limiter(30), limiter(30)];
    const decisions = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).hit('redirect', 'ip:10.0.0.6')));
    const allowed = decisions.filter((d) => d.allowed).length;
    assert.ok(allowed <= 30 && allowed >= 30 - 2 * 9, `${allowed} allowed`);
    assert.equal([...store.entries.values()][0]?.value, 30);
  });

  it('throws when the store fails, so that the caller can fail open', async () => {
    store.down = true;
    await assert.rejects(limiter().hit('auth', 'ip:10.0.0.1'), /connection refused/);
  });
});
