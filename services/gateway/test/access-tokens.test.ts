import assert from 'node:assert/strict';
import { type AccessTokenVerifier, createAccessTokenVerifier, Problem } from '@meshmart/kit';
import { SignJWT } from 'jose';
import { AUDIENCE, accessToken, FakeJwks, ISSUER, type SigningKey, signingKey } from './support.ts';

const JWKS_URL = new URL('http://127.0.0.1:3500/v1.0/invoke/users/method/.well-known/jwks.json');

async function rejection(promise: Promise<unknown>): Promise<Problem> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Problem, `expected a Problem, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the token to be refused');
}

describe('access token verification', () => {
  let key: SigningKey;
  let jwks: FakeJwks;
  let verifier: AccessTokenVerifier;

  function makeVerifier(cooldownMs = 0): AccessTokenVerifier {
    return createAccessTokenVerifier({
      jwksUrl: JWKS_URL,
      headers: { 'dapr-api-token': 'sidecar-token' },
      issuer: ISSUER,
      audience: AUDIENCE,
      cacheMaxAgeMs: 600_000,
      cooldownMs,
      timeoutMs: 1000,
      fetch: jwks.fetch,
    });
  }

  beforeEach(async () => {
    key = await signingKey('key-1');
    jwks = new FakeJwks();
    jwks.keys = [key.jwk];
    verifier = makeVerifier();
  });

  it('accepts a valid token and yields the subject and roles', async () => {
    const token = await accessToken(key, { sub: 'user-1', roles: ['customer', 'admin'] });
    assert.deepEqual(await verifier.verify(`Bearer ${token}`), { id: 'user-1', roles: ['customer', 'admin'] });
  });

  it('fetches the key set through the sidecar with the Dapr API token, and caches it', async () => {
    const token = await accessToken(key);
    await verifier.verify(`Bearer ${token}`);
    await verifier.verify(`Bearer ${token}`);
    assert.equal(jwks.fetches, 1);
    assert.equal(jwks.lastHeaders?.get('dapr-api-token'), 'sidecar-token');
  });

  it('checks a token again once the key cache age has passed, so a withdrawn key stops its tokens', async () => {
    verifier = createAccessTokenVerifier({
      jwksUrl: JWKS_URL,
      issuer: ISSUER,
      audience: AUDIENCE,
      cacheMaxAgeMs: 50,
      cooldownMs: 0,
      timeoutMs: 1000,
      fetch: jwks.fetch,
    });
    const token = await accessToken(key, { sub: 'user-1' });
    assert.equal((await verifier.verify(`Bearer ${token}`)).id, 'user-1');
    jwks.keys = [];
    assert.equal((await verifier.verify(`Bearer ${token}`)).id, 'user-1', 'verified moments ago: no new check');
    assert.equal(jwks.fetches, 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const problem = await rejection(verifier.verify(`Bearer ${token}`));
    assert.equal(problem.status, 401);
    assert.match(problem.detail ?? '', /unknown key/);
  });

  it('treats a missing roles claim as no roles', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setSubject('user-2')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(key.privateKey);
    assert.deepEqual(await verifier.verify(`Bearer ${token}`), { id: 'user-2', roles: [] });
  });

  const refusals: Array<[string, () => Promise<string>, RegExp]> = [
    ['no header', async () => '', /required/],
    ['another scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, /Bearer/],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt', /malformed/],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await accessToken(key)).split('.');
        const forged = Buffer.from(
          JSON.stringify({ sub: 'someone-else', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, exp: 9e9 }),
        ).toString('base64url');
        return `Bearer ${header}.${forged}.${signature}`;
      },
      /signature/,
    ],
    [
      'an expired token',
      async () => `Bearer ${await accessToken(key, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
      /expired/,
    ],
    ['a wrong issuer', async () => `Bearer ${await accessToken(key, { issuer: 'someone-else' })}`, /"iss"/],
    ['a wrong audience', async () => `Bearer ${await accessToken(key, { audience: 'another-api' })}`, /"aud"/],
    [
      'a token without exp',
      async () =>
        `Bearer ${await new SignJWT({ roles: [] })
          .setProtectedHeader({ alg: 'ES256', kid: key.kid })
          .setSubject('u')
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .sign(key.privateKey)}`,
      /"exp"/,
    ],
    [
      'an HS256 token (algorithm confusion)',
      async () =>
        `Bearer ${await new SignJWT({ roles: ['admin'] })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .setSubject('u')
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode('a-shared-secret-of-sufficient-length'))}`,
      /ES256/,
    ],
    ['roles that are not a list of strings', async () => `Bearer ${await accessToken(key, { roles: 'admin' })}`, /claims/],
  ];

  for (const [what, header, detail] of refusals) {
    it(`refuses ${what} with 401 and WWW-Authenticate: Bearer`, async () => {
      const problem = await rejection(verifier.verify(await header()));
      assert.equal(problem.status, 401);
      assert.equal(problem.headers['www-authenticate'], 'Bearer');
      assert.match(problem.detail ?? '', detail);
    });
  }

  it('refetches the key set when a token names a new key (rotation)', async () => {
    await verifier.verify(`Bearer ${await accessToken(key)}`);
    const rotated = await signingKey('key-2');
    jwks.keys = [key.jwk, rotated.jwk];
    assert.equal((await verifier.verify(`Bearer ${await accessToken(rotated, { sub: 'after-rotation' })}`)).id, 'after-rotation');
    assert.equal(jwks.fetches, 2);
  });

  it('refuses a key the refetched set does not have either', async () => {
    const stranger = await signingKey('key-unknown');
    const problem = await rejection(verifier.verify(`Bearer ${await accessToken(stranger)}`));
    assert.equal(problem.status, 401);
    assert.match(problem.detail ?? '', /unknown key/);
  });

  it('refetches for unknown keys at most once per cooldown', async () => {
    verifier = makeVerifier(60_000);
    await verifier.verify(`Bearer ${await accessToken(key)}`);
    for (const kid of ['forged-1', 'forged-2', 'forged-3']) {
      const problem = await rejection(verifier.verify(`Bearer ${await accessToken(await signingKey(kid))}`));
      assert.equal(problem.status, 401);
    }
    assert.equal(jwks.fetches, 1);
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    for (const failure of ['refused', 'status-500'] as const) {
      jwks.failure = failure;
      const problem = await rejection(makeVerifier().verify(`Bearer ${await accessToken(key)}`));
      assert.equal(problem.status, 503, failure);
      assert.equal(problem.headers['retry-after'], '1');
    }
  });

  it('keeps verifying with cached keys while users is down', async () => {
    const token = await accessToken(key);
    await verifier.verify(`Bearer ${token}`);
    jwks.failure = 'refused';
    assert.equal((await verifier.verify(`Bearer ${token}`)).roles[0], 'customer');
  });
});
