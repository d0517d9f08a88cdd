/**
 * Fixed-window rate limits whose counters live in the Dapr state store, so every gateway
 * replica draws from the same budget. Increments use ETag optimistic concurrency: read
 * the counter with its ETag, write count+1 only if nobody wrote in between, retry on
 * conflict.
 *
 * Failure policy: if the state store (or the sidecar in front of it) fails, the request
 * is let through, logged and counted in `gateway_rate_limit_errors_total`. The limiter
 * protects the API; an outage of the limiter must not become an outage of the API.
 * Store calls get a short timeout of their own so a hanging store adds little latency.
 *
 * Concurrent requests for one counter in one replica are batched: while a write is in
 * flight, later requests queue and the next write adds them all at once. Conflicts then
 * only come from other replicas, so a client's parallel requests are not refused for
 * contention while under its limit. Persistent contention across replicas is answered
 * with 429: letting those through would let a burst bypass the limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sidecar } from '@meshmart/kit';
import type { LimitGroup } from './routes.ts';

export interface LimitPolicy {
  /** Requests allowed per window and client. */
  max: number;
  windowSeconds: number;
}

export type CounterStore = Pick<Sidecar, 'getState' | 'saveState'>;

export type Decision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; retryAfterSeconds: number };

export interface FixedWindowLimiterOptions {
  store: CounterStore;
  storeName: string;
  policies: Record<LimitGroup, LimitPolicy>;
  /** Read-modify-write rounds before giving up on a contended counter. */
  maxAttempts?: number;
  now?: () => number;
}

interface Batch {
  max: number;
  resetSeconds: number;
  ttlSeconds: number;
  waiters: Array<{ resolve: (d: Decision) => void; reject: (err: unknown) => void }>;
}

export class FixedWindowLimiter {
  private readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(private readonly options: FixedWindowLimiterOptions) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.now = options.now ?? Date.now;
  }

  /**
   * Counts one request of `client` against `group`. Rejects when the store fails; the
   * caller decides to fail open.
   */
  hit(group: LimitGroup, client: string): Promise<Decision> {
    const { max, windowSeconds } = this.options.policies[group];
    const now = this.now();
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const resetSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
    const key = `ratelimit:${group}:${encodeURIComponent(client)}:${windowStart / 1000}`;
    return new Promise((resolve, reject) => {
      let batch = this.queued.get(key);
      if (!batch) {
        // The counter outlives its window a little so that replicas with slightly skewed
        // clocks still find it; after that the store drops it.
        batch = { max, resetSeconds, ttlSeconds: windowSeconds * 2, waiters: [] };
        this.queued.set(key, batch);
      }
      batch.waiters.push({ resolve, reject });
      if (!this.writing.has(key)) void this.drain(key);
    });
  }

  private readonly queued = new Map<string, Batch>();
  private readonly writing = new Set<string>();

  private async drain(key: string): Promise<void> {
    this.writing.add(key);
    try {
      for (let batch = this.queued.get(key); batch; batch = this.queued.get(key)) {
        this.queued.delete(key);
        try {
          const decisions = await this.apply(key, batch);
          for (const [i, w] of batch.waiters.entries()) w.resolve(decisions[i] as Decision);
        } catch (err) {
          for (const w of batch.waiters) w.reject(err);
        }
      }
    } finally {
      this.writing.delete(key);
    }
  }

  /** Adds a batch to the counter in one write; the first requests up to the limit pass. */
  private async apply(key: string, batch: Batch): Promise<Decision[]> {
    const { max, resetSeconds, ttlSeconds, waiters } = batch;
    const denied = (retryAfterSeconds: number): Decision => ({ allowed: false, limit: max, retryAfterSeconds });
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const { value, etag } = await this.options.store.getState<number>(this.options.storeName, key);
      const used = typeof value === 'number' ? value : 0;
      const granted = Math.max(0, Math.min(waiters.length, max - used));
      if (granted === 0) return waiters.map(() => denied(resetSeconds));
      if (await this.write(key, used + granted, etag, ttlSeconds)) {
        return waiters.map((_, i) =>
          i < granted ? { allowed: true, limit: max, remaining: max - used - i - 1, resetSeconds } : denied(resetSeconds),
        );
      }
      // Jitter spreads the replicas that lost the same race.
      await sleep(Math.random() * 4 * attempt);
    }
    return waiters.map(() => denied(1));
  }

  /** Writes the counter; false when another writer got there first. */
  private async write(key: string, value: number, etag: string | undefined, ttlSeconds: number): Promise<boolean> {
    const { store, storeName } = this.options;
    if (etag !== undefined) return store.saveState(storeName, { key, value, etag, ttlSeconds });
    try {
      return await store.saveState(storeName, { key, value, firstWrite: true, ttlSeconds });
    } catch (err) {
      // Some stores (Dapr's Redis store among them) report a lost first-write race as a
      // plain error rather than an ETag conflict. If the key exists now, someone else
      // created it: a conflict. If not, the store really failed.
      const { value: after } = await store.getState<number>(storeName, key);
      if (after !== undefined) return false;
      throw err;
    }
  }
}
