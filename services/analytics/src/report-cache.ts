/**
 * Summary and dashboard answers cached in the Dapr state store for a few seconds, so a
 * wall of dashboards refreshing together costs one computation per range. The cache is
 * an optimisation only: a state store that fails or is slow means the report is
 * computed, never an error. Entries carry their own expiry as well as the store's
 * `ttlInSeconds`, so a store that ignores TTLs cannot serve stale reports.
 */
import { type Logger, type Sidecar, StateCache } from '@meshmart/kit';
import { cacheLookups } from './metrics.ts';

interface Entry {
  expiresAt: number;
  value: unknown;
}

export interface ReportCacheOptions {
  state: Pick<Sidecar, 'getState' | 'saveState' | 'deleteState'>;
  store: string;
  ttlSeconds: number;
  logger: Logger;
  now?: () => number;
}

export class ReportCache {
  private readonly now: () => number;
  private readonly cache: StateCache<Entry>;

  constructor(private readonly options: ReportCacheOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new StateCache<Entry>({
      ...options,
      prefix: '',
      // An entry past its own expiry is a miss, whatever the store's TTL handling.
      parse: (value) => {
        const entry = value as Partial<Entry> | undefined;
        return typeof entry?.expiresAt === 'number' && entry.expiresAt > this.now() ? (entry as Entry) : undefined;
      },
      name: 'report cache',
      lookups: cacheLookups,
    });
  }

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const { ttlSeconds } = this.options;
    if (ttlSeconds === 0) return compute();
    const read = await this.cache.read(key);
    if (read.result === 'hit') return read.value.value as T;
    const value = await compute();
    // The answer does not wait for the cache write.
    if (read.result === 'miss') void this.cache.write(key, { expiresAt: this.now() + ttlSeconds * 1000, value });
    return value;
  }
}
