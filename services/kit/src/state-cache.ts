/**
 * A cache in the Dapr state store that is only ever an accelerator: a store that fails
 * or is slow reads as "error" (the caller goes to the source of truth) and a failed write
 * is reported, never thrown. An outage is logged once when it starts and once when it
 * ends, not on every request of a hot path.
 */
import type { Counter } from 'prom-client';
import type { Sidecar } from './dapr.ts';
import type { Logger } from './logging.ts';

export type CacheRead<T> = { result: 'hit'; value: T } | { result: 'miss' } | { result: 'error' };

export interface StateCacheOptions<T> {
  state: Pick<Sidecar, 'getState' | 'saveState' | 'deleteState'>;
  /** Dapr state store component name. */
  store: string;
  /** Prefix of every key, e.g. `link:`. */
  prefix: string;
  ttlSeconds: number;
  /** What was read, or undefined for anything else (an older format, a stray write): a miss. */
  parse: (value: unknown) => T | undefined;
  /** Shown in the outage log lines, e.g. "link cache". */
  name: string;
  logger: Logger;
  /** Counts reads by result (hit, miss, error). */
  lookups?: Counter<'result'>;
}

export class StateCache<T> {
  private failing = false;

  constructor(private readonly options: StateCacheOptions<T>) {}

  async read(key: string): Promise<CacheRead<T>> {
    const { state, store, prefix, parse, lookups } = this.options;
    let read: CacheRead<T>;
    try {
      const { value } = await state.getState<unknown>(store, prefix + key);
      const parsed = value === undefined ? undefined : parse(value);
      read = parsed === undefined ? { result: 'miss' } : { result: 'hit', value: parsed };
      this.succeeded();
    } catch (err) {
      this.failed('read', err);
      read = { result: 'error' };
    }
    lookups?.inc({ result: read.result });
    return read;
  }

  /** False when the store refused the write. */
  async write(key: string, value: T): Promise<boolean> {
    const { state, store, prefix, ttlSeconds } = this.options;
    try {
      await state.saveState(store, { key: prefix + key, value, ttlSeconds });
      this.succeeded();
      return true;
    } catch (err) {
      this.failed('write', err);
      return false;
    }
  }

  /** False when the store refused the delete. */
  async remove(key: string): Promise<boolean> {
    const { state, store, prefix } = this.options;
    try {
      await state.deleteState(store, prefix + key);
      this.succeeded();
      return true;
    } catch (err) {
      this.failed('delete', err);
      return false;
    }
  }

  private failed(operation: string, err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn(`${this.options.name} unavailable; going without it`, {
      operation,
      err: (err as Error).message,
    });
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.logger.info(`${this.options.name} available again`);
  }
}
