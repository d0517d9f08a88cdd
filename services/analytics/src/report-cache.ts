/**
 * Summary and dashboard answers cached in the Dapr state store for a few seconds, so a
 * wall of dashboards refreshing together costs one computation per range. The cache is
 * an optimisation only: a state store that fails or is slow means the report is
 * computed, never an error. Entries carry their own expiry as well as the store's
 * `ttlInSeconds`, so a store that ignores TTLs cannot serve stale reports.
 */
import type { Logger, Sidecar } from '@meshmart/kit';
import { cacheLookups } from './metrics.ts';

interface Entry<T> {
  expiresAt: number;
  value: T;
}

export interface ReportCacheOptions {
  state: Pick<Sidecar, 'getState' | 'saveState'>;
  store: string;
  ttlSeconds: number;
  logger: Logger;
  now?: () => number;
}

export class ReportCache {
  private readonly now: () => number;
  /** Logged once per outage, not once per request. */
  private failing = false;

  constructor(private readonly options: ReportCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const { state, store, ttlSeconds } = this.options;
    if (ttlSeconds === 0) return compute();
    try {
      const { value: entry } = await state.getState<Entry<T>>(store, key);
      if (entry && typeof entry.expiresAt === 'number' && entry.expiresAt > this.now()) {
        cacheLookups.inc({ result: 'hit' });
        this.recovered();
        return entry.value;
      }
      cacheLookups.inc({ result: 'miss' });
      this.recovered();
    } catch (err) {
      cacheLookups.inc({ result: 'error' });
      this.failed(err);
      return compute();
    }
    const value = await compute();
    const entry: Entry<T> = { expiresAt: this.now() + ttlSeconds * 1000, value };
    // The answer does not wait for the cache write.
    void state.saveState(store, { key, value: entry, ttlSeconds }).catch((err: unknown) => this.failed(err));
    return value;
  }

  private failed(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn('report cache unavailable; computing reports', { err: (err as Error).message });
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.logger.info('report cache available again');
  }
}
