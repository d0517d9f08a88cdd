import { type CryptoKey, exportJWK, type FetchImplementation, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { CounterStore } from '../src/rate-limit.ts';

export const ISSUER = 'meshmart-users';
export const AUDIENCE = 'meshmart';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export interface TokenOverrides {
  sub?: string;
  roles?: unknown;
  issuer?: string;
  audience?: string;
  expiresIn?: string | number;
  kid?: string;
}

export function accessToken(key: SigningKey, overrides: TokenOverrides = {}): Promise<string> {
  const jwt = new SignJWT({ roles: overrides.roles ?? ['customer'] })
    .setProtectedHeader({ alg: 'ES256', kid: overrides.kid ?? key.kid, typ: 'JWT' })
    .setSubject(overrides.sub ?? '7f1c8f8e-0c4e-4a8e-9a55-3a8f2f1d0b11')
    .setIssuer(overrides.issuer ?? ISSUER)
    .setAudience(overrides.audience ?? AUDIENCE)
    .setIssuedAt();
  if (overrides.expiresIn !== undefined) jwt.setExpirationTime(overrides.expiresIn);
  else jwt.setExpirationTime('5m');
  return jwt.sign(key.privateKey);
}

/** A JWKS endpoint whose key set a test can change, counting how often it is fetched. */
export class FakeJwks {
  fetches = 0;
  keys: JWK[] = [];
  failure: 'none' | 'refused' | 'status-500' = 'none';
  lastHeaders: Headers | undefined;

  readonly fetch: FetchImplementation = async (_url, options) => {
    this.fetches++;
    this.lastHeaders = options.headers;
    if (this.failure === 'refused') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (this.failure === 'status-500') return new Response('ERR_DIRECT_INVOKE', { status: 500 });
    return Response.json({ keys: this.keys });
  };
}

/**
 * The subset of Dapr state semantics the limiter relies on: numeric ETags that change on
 * every write, 409-style `false` on a stale ETag, and — like Dapr's Redis store — an
 * error rather than `false` when a first write finds the key already there.
 */
export class MemoryStateStore implements CounterStore {
  readonly entries = new Map<string, { value: unknown; version: number }>();
  writes = 0;
  down = false;

  async getState<T>(_store: string, key: string): Promise<{ value: T | undefined; etag: string | undefined }> {
    await this.tick();
    const entry = this.entries.get(key);
    return entry ? { value: entry.value as T, etag: String(entry.version) } : { value: undefined, etag: undefined };
  }

  async saveState(
    _store: string,
    entry: { key: string; value: unknown; etag?: string | undefined; firstWrite?: boolean; ttlSeconds?: number },
  ): Promise<boolean> {
    await this.tick();
    const current = this.entries.get(entry.key);
    if (entry.etag !== undefined) {
      if (!current || String(current.version) !== entry.etag) return false;
    } else if (entry.firstWrite && current) {
      throw new Error(`state POST statestore failed: 500 failed to set key ${entry.key}`);
    }
    this.writes++;
    this.entries.set(entry.key, { value: entry.value, version: (current?.version ?? 0) + 1 });
    return true;
  }

  /** Yields between reads and writes so concurrent callers interleave as they would over HTTP. */
  private async tick(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.down) throw new Error('state GET statestore failed: 500 connection refused');
  }
}
