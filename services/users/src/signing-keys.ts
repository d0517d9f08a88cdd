/**
 * ES256 signing keys kept in PostgreSQL so every replica signs with the same key and
 * tokens survive restarts. The newest key signs; older keys stay published in the JWKS
 * until every token they signed has expired, which is what lets verifiers rotate.
 * Private keys are stored unencrypted: dev-grade, as the README says.
 */
import { randomUUID } from 'node:crypto';
import { inTransaction } from '@meshmart/kit';
import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';
import type pg from 'pg';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** How long the published keys are kept for verifying before they are read again. */
export const VERIFICATION_KEYS_MAX_AGE_MS = 10_000;
/** Least time between reloads asked for by tokens naming an unknown key. */
const VERIFICATION_KEYS_RELOAD_COOLDOWN_MS = 1_000;

export class SigningKeys {
  private current: { key: SigningKey; loadedAt: number } | undefined;
  private verifying: { keys: JWTVerifyGetKey; loadedAt: number } | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxAgeDays: number,
    private readonly accessTokenTtlSeconds: number,
  ) {}

  /** Returns the signing key, creating or rotating it under a lock when due. */
  async signingKey(): Promise<SigningKey> {
    if (this.current && Date.now() - this.current.loadedAt < 60_000) return this.current.key;
    const row = await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(727274002)');
      const { rows } = await client.query<{ kid: string; private_jwk: JWK }>(
        `SELECT kid, private_jwk FROM signing_keys
          WHERE retired_at IS NULL AND created_at > now() - make_interval(days => $1)
          ORDER BY created_at DESC LIMIT 1`,
        [this.maxAgeDays],
      );
      if (rows[0]) return rows[0];
      await client.query('UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL');
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = randomUUID();
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
      await client.query('INSERT INTO signing_keys (kid, private_jwk, public_jwk) VALUES ($1, $2, $3)', [
        kid,
        privateJwk,
        publicJwk,
      ]);
      return { kid, private_jwk: privateJwk };
    });
    const key = { kid: row.kid, privateKey: (await importJWK(row.private_jwk, 'ES256')) as CryptoKey };
    this.current = { key, loadedAt: Date.now() };
    return key;
  }

  /** Public keys that may still verify unexpired tokens. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    const { rows } = await this.pool.query<{ public_jwk: JWK }>(
      `SELECT public_jwk FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
        ORDER BY created_at DESC`,
      [this.accessTokenTtlSeconds],
    );
    return { keys: rows.map((r) => r.public_jwk) };
  }

  /**
   * The published keys as a token verifier's key resolver, kept for a few seconds: read
   * and imported on every request they were a query and a key import per call. `reload`
   * (a token names a key not kept: another replica may just have rotated) reads them
   * again, at most once per cooldown so forged key ids cannot turn into a query each.
   */
  async verificationKeys(reload = false): Promise<JWTVerifyGetKey> {
    const age = this.verifying ? Date.now() - this.verifying.loadedAt : Number.POSITIVE_INFINITY;
    if (this.verifying && age < (reload ? VERIFICATION_KEYS_RELOAD_COOLDOWN_MS : VERIFICATION_KEYS_MAX_AGE_MS)) {
      return this.verifying.keys;
    }
    const keys = createLocalJWKSet(await this.jwks());
    this.verifying = { keys, loadedAt: Date.now() };
    return keys;
  }

  /** Retires the current key now, for operators rotating after a suspected leak. */
  async rotate(): Promise<void> {
    await this.pool.query('UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL');
    this.current = undefined;
    this.verifying = undefined;
  }
}
