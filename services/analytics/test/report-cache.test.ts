import assert from 'node:assert/strict';
import { createLogger } from '@meshmart/kit';
import { ReportCache } from '../src/report-cache.ts';

const logger = createLogger('analytics-test', 'error');
logger.silent = true;

/** An in-memory stand-in for the state store that can be told to fail or to ignore TTLs. */
function memoryState() {
  const entries = new Map<string, unknown>();
  const state = {
    failing: false,
    async getState<T>(_store: string, key: string) {
      if (state.failing) throw new Error('state store down');
      return { value: entries.get(key) as T | undefined, etag: undefined };
    },
    async saveState(_store: string, entry: { key: string; value: unknown }) {
      if (state.failing) throw new Error('state store down');
      entries.set(entry.key, entry.value);
      return true;
    },
    async deleteState(_store: string, key: string) {
      entries.delete(key);
    },
  };
  return state;
}

describe('report cache', () => {
  let clock: number;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('serves a computed report until its TTL passes, even from a store that keeps it longer', async () => {
    const state = memoryState();
    const cache = new ReportCache({ state, store: 'statestore', ttlSeconds: 2, logger, now });
    let computed = 0;
    const compute = async () => ++computed;
    assert.equal(await cache.get('k', compute), 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await cache.get('k', compute), 1);
    clock += 2001;
    assert.equal(await cache.get('k', compute), 2);
    assert.equal(await cache.get('other', compute), 3);
  });

  it('computes every report when the state store fails, and answers anyway', async () => {
    const state = memoryState();
    state.failing = true;
    const cache = new ReportCache({ state, store: 'statestore', ttlSeconds: 2, logger, now });
    let computed = 0;
    const compute = async () => ++computed;
    assert.equal(await cache.get('k', compute), 1);
    assert.equal(await cache.get('k', compute), 2);
    state.failing = false;
    assert.equal(await cache.get('k', compute), 3);
  });

  it('is off with a TTL of 0', async () => {
    const state = memoryState();
    const cache = new ReportCache({ state, store: 'statestore', ttlSeconds: 0, logger, now });
    let computed = 0;
    const compute = async () => ++computed;
    await cache.get('k', compute);
    await cache.get('k', compute);
    assert.equal(computed, 2);
  });
});
