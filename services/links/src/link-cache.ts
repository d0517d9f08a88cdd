/**
 * Code → target mappings in the Dapr state store, in front of PostgreSQL for redirects.
 * The cache is an accelerator, never a dependency: every failure is counted and
 * answered as "ask PostgreSQL".
 */
import { type FaultFlags, type Sidecar, StateCache, type StateCacheOptions } from '@meshmart/kit';
import type { LinkRow } from './links-store.ts';
import { cacheLookups } from './metrics.ts';

export interface Mapping {
  target: string;
  owner: string;
  /** RFC 3339, or null when the link does not expire. */
  expiresAt: string | null;
  /** A tombstone: the code belonged to a link that was deleted. */
  deleted: boolean;
}

export function mappingOf(link: LinkRow): Mapping {
  return {
    target: link.targetUrl,
    owner: link.ownerId,
    expiresAt: link.expiresAt?.toISOString() ?? null,
    deleted: link.deletedAt !== null,
  };
}

function isMapping(value: unknown): value is Mapping {
  const m = value as Partial<Mapping> | undefined;
  return (
    typeof m?.target === 'string' &&
    typeof m.owner === 'string' &&
    (m.expiresAt === null || typeof m.expiresAt === 'string') &&
    typeof m.deleted === 'boolean'
  );
}

/** The cache of code → mapping, keyed by code; its outages are logged once, not per redirect. */
export function linkCache(options: Omit<StateCacheOptions<Mapping>, 'prefix' | 'parse' | 'name' | 'lookups'>): LinkCache {
  // Anything but a mapping (an older format, a stray write) is treated as absent and refilled.
  return new StateCache({
    ...options,
    prefix: 'link:',
    parse: (v) => (isMapping(v) ? v : undefined),
    name: 'link cache',
    lookups: cacheLookups,
  });
}

export type LinkCache = StateCache<Mapping>;

type CacheState = Pick<Sidecar, 'getState' | 'saveState' | 'deleteState'>;

/** The state store as the cache sees it, failing like a store that is down while `links.cache-outage` is set. */
export function flaggedState(state: CacheState, faults: Pick<FaultFlags, 'isOn'>): CacheState {
  const outage = () => faults.isOn('links.cache-outage');
  const refused = () => Promise.reject(new Error('state store unavailable: links.cache-outage is set'));
  return {
    getState: <T>(store: string, key: string) => (outage() ? refused() : state.getState<T>(store, key)),
    saveState: (store, entry) => (outage() ? refused() : state.saveState(store, entry)),
    deleteState: (store, key) => (outage() ? refused() : state.deleteState(store, key)),
  };
}
