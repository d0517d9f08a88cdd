/**
 * Access tokens for tests of services that verify them: a fresh ES256 key, a signer for
 * users' claims, and a verifier that knows the key without any JWKS endpoint or sidecar.
 */

import { type AccessTokenVerifier, createAccessTokenVerifier } from '@meshmart/kit';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TestTokens {
  /** A token for `sub` with these roles, valid for ten minutes. */
  sign(sub: string, roles?: string[]): Promise<string>;
  verifier: AccessTokenVerifier;
}

export async function testTokens(issuer = 'meshmart-users', audience = 'meshmart'): Promise<TestTokens> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  return {
    sign: (sub, roles = ['customer']) =>
      new SignJWT({ roles })
        .setProtectedHeader({ alg: 'ES256', kid: jwk.kid })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
    verifier: createAccessTokenVerifier({
      jwksUrl: new URL('http://127.0.0.1:9/jwks.json'),
      issuer,
      audience,
      cacheMaxAgeMs: 600_000,
      cooldownMs: 0,
      timeoutMs: 1000,
      fetch: async () => Response.json({ keys: [jwk] }),
    }),
  };
}
