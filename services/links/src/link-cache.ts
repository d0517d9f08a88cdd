/**
 * Code → target mappings in the Dapr state store, in front of PostgreSQL for redirects.
 * The cache is an accelerator, never a dependency: every failure is counted, logged at
 * debug and answered as "ask PostgreSQL".
 */
import type { Logger, Sidecar } from '@meshmart/kit';
import type { LinkRow } from './links-repo.ts';
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

export type Lookup = { result: 'hit'; mapping: Mapping } | { result: 'miss' } | { result: 'error' };

export class LinkCache {
  constructor(
    private readonly sidecar: Sidecar,
    private readonly store: string,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  private key(code: string): string {
    return `link:${code}`;
  }

  async get(code: string): Promise<Lookup> {
    let lookup: Lookup;
    try {
      const { value } = await this.sidecar.getState<unknown>(this.store, this.key(code));
      // Anything else (an older format, a stray write) is treated as absent and refilled.
      lookup = isMapping(value) ? { result: 'hit', mapping: value } : { result: 'miss' };
    } catch (err) {
      this.logger.debug('link cache read failed', { code, err: (err as Error).message });
      lookup = { result: 'error' };
    }
    cacheLookups.inc({ result: lookup.result });
    return lookup;
  }

  /** Writes the mapping (a tombstone for a deleted link); false if the store refused. */
  async put(code: string, mapping: Mapping): Promise<boolean> {
    try {
      await this.sidecar.saveState(this.store, { key: this.key(code), value: mapping, ttlSeconds: this.ttlSeconds });
      return true;
    } catch (err) {
      this.logger.debug('link cache write failed', { code, err: (err as Error).message });
      return false;
    }
  }

  async remove(code: string): Promise<boolean> {
    try {
      await this.sidecar.deleteState(this.store, this.key(code));
      return true;
    } catch (err) {
      this.logger.debug('link cache delete failed', { code, err: (err as Error).message });
      return false;
    }
  }
}
