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
 *
 * Two things keep the store off hot paths. A window that is known to be used up is
 * remembered until it ends, so a client over its limit costs no store calls at all (a
 * counter never goes down within its window, so this is exact). And a policy may lease:
 * one write takes up to `lease` requests from the shared counter and the replica grants
 * them locally until they are spent. Leased but unspent requests still count, so a
 * client spread over several replicas may be refused up to `lease - 1` requests per
 * replica early, never let through late.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sidecar } from '@meshmart/kit';
import type { LimitGroup } from './routes.ts';

export interface LimitPolicy {
  /** Requests allowed per window and client. */
  max: number;
  windowSeconds: number;
  /** Requests one replica takes from the shared counter per write (default 1: exact). */
  lease?: number;
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

/** What this replica knows of a counter in its current window. */
interface LocalWindow {
  /** Leased requests: the counter values [next, end) are this replica's to grant. */
  next: number;
  end: number;
  /** The shared counter reached the limit: refuse without asking the store. */
  exhausted: boolean;
  windowEnd: number;
}

interface Batch {
  max: number;
  lease: number;
  resetSeconds: number;
  ttlSeconds: number;
  windowEnd: number;
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
    this.forgetEndedWindows(now);
    const local = this.local.get(key);
    if (local?.exhausted) return Promise.resolve({ allowed: false, limit: max, retryAfterSeconds: resetSeconds });
    if (local && local.next < local.end) {
      const used = local.next++;
      return Promise.resolve({ allowed: true, limit: max, remaining: max - used - 1, resetSeconds });
    }
    return new Promise((resolve, reject) => {
      let batch = this.queued.get(key);
      if (!batch) {
        // The counter outlives its window a little so that replicas with slightly skewed
        // clocks still find it; after that the store drops it.
        batch = {
          max,
          lease: Math.max(1, this.options.policies[group].lease ?? 1),
          resetSeconds,
          ttlSeconds: windowSeconds * 2,
          windowEnd: windowStart + windowMs,
          waiters: [],
        };
        this.queued.set(key, batch);
      }
      batch.waiters.push({ resolve, reject });
      if (!this.writing.has(key)) void this.drain(key);
    });
  }

  private readonly queued = new Map<string, Batch>();
  private readonly writing = new Set<string>();
  private readonly local = new Map<string, LocalWindow>();
  private nextSweep = 0;

  private forgetEndedWindows(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 10_000;
    for (const [key, window] of this.local) if (window.windowEnd <= now) this.local.delete(key);
  }

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

  /**
   * Decides a batch: from what is left of this replica's lease first (requests that
   * queued while the lease was being taken), then in one write to the counter.
   */
  private async apply(key: string, batch: Batch): Promise<Decision[]> {
    const { max, resetSeconds } = batch;
    const local = this.local.get(key);
    const decisions: Decision[] = [];
    if (local?.exhausted) return batch.waiters.map(() => ({ allowed: false, limit: max, retryAfterSeconds: resetSeconds }));
    while (local && local.next < local.end && decisions.length < batch.waiters.length) {
      const used = local.next++;
      decisions.push({ allowed: true, limit: max, remaining: max - used - 1, resetSeconds });
    }
    const rest = batch.waiters.length - decisions.length;
    return rest === 0 ? decisions : [...decisions, ...(await this.take(key, batch, rest))];
  }

  /** Adds `count` requests to the counter in one write; the first ones up to the limit pass. */
  private async take(key: string, batch: Batch, count: number): Promise<Decision[]> {
    const { max, lease, resetSeconds, ttlSeconds, windowEnd } = batch;
    const denied = (retryAfterSeconds: number): Decision => ({ allowed: false, limit: max, retryAfterSeconds });
    const all = (decision: Decision) => Array.from({ length: count }, () => decision);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const { value, etag } = await this.options.store.getState<number>(this.options.storeName, key);
      const used = typeof value === 'number' ? value : 0;
      const taken = Math.max(0, Math.min(Math.max(count, lease), max - used));
      const granted = Math.min(count, taken);
      if (granted === 0) {
        this.local.set(key, { next: 0, end: 0, exhausted: true, windowEnd });
        return all(denied(resetSeconds));
      }
      if (await this.write(key, used + taken, etag, ttlSeconds)) {
        this.local.set(key, { next: used + granted, end: used + taken, exhausted: granted < count, windowEnd });
        return Array.from({ length: count }, (_, i) =>
          i < granted ? { allowed: true, limit: max, remaining: max - used - i - 1, resetSeconds } : denied(resetSeconds),
        );
      }
      // Jitter spreads the replicas that lost the same race.
      await sleep(Math.random() * 4 * attempt);
    }
    return all(denied(1));
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
