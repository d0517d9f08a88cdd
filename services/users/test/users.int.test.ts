import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { usersErrors } from '@meshmart/contracts/users';
import { createPool, migrate } from '@meshmart/kit';
import { UsersInternalServiceClient } from '@meshmart/proto/users/v1/users';
import { infraForThisRun, type ServiceOnScratchDatabase, startOnScratchDatabase } from '@meshmart/test-support';
import { migrations } from '../src/migrations.ts';
import { service } from '../src/service.ts';
import { SigningKeys, VERIFICATION_KEYS_MAX_AGE_MS } from '../src/signing-keys.ts';
import { issueAccessToken } from '../src/tokens.ts';

const TOKEN = 'users-int-test-token';

const infra = infraForThisRun();

describe('users on the real PostgreSQL', () => {
  let users: ServiceOnScratchDatabase;
  let base: string;

  before(async function () {
    this.timeout(180_000);
    // Calls that need the sidecar answer 503, which these tests do not use.
    users = await startOnScratchDatabase(infra, 'users_it', (env) => {
      const config = service.loadConfig({
        ...env,
        APP_API_TOKEN: TOKEN,
        ADMIN_EMAIL: 'root@meshmart.test',
        ADMIN_PASSWORD: 'a-long-admin-password',
      });
      return service.start({ ...config, PORT: 0 }, { handleSignals: false });
    });
    base = users.base;
  });

  after(async () => {
    await users?.stop();
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(base + path, {
      ...init,
      headers: { 'content-type': 'application/json', 'dapr-api-token': TOKEN, ...(init.headers as Record<string, string>) },
    });

  const register = (email: string) =>
    call('/auth/register', { method: 'POST', body: JSON.stringify({ email, password: 'correct horse', displayName: 'Ann' }) });

  it('creates an account once per e-mail, whatever its case', async () => {
    const created = await register('ann@example.com');
    assert.equal(created.status, 201);
    const user = (await created.json()) as { id: string; email: string; roles: string[] };
    assert.equal(user.email, 'ann@example.com');
    assert.deepEqual(user.roles, ['customer']);
    const again = await register('ANN@example.com');
    assert.equal(again.status, 409);
    assert.match(again.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(((await again.json()) as { code: string }).code, usersErrors.emailTaken);
  });

  it('writes user.registered to the outbox in the same transaction, never the password', async () => {
    const pool = createPool(users.db.url, 1);
    try {
      const { rows } = await pool.query("SELECT envelope FROM outbox WHERE topic = 'user.registered'");
      const emails = rows.map((r) => r.envelope.data.email);
      assert.ok(emails.includes('ann@example.com'));
      assert.doesNotMatch(JSON.stringify(rows), /correct horse|argon2/);
      const { rows: users } = await pool.query("SELECT password_hash FROM users WHERE email = 'ann@example.com'");
      assert.match(users[0].password_hash, /^\$argon2id\$/);
    } finally {
      await pool.end();
    }
  });

  it('bootstraps the configured admin', async () => {
    const pool = createPool(users.db.url, 1);
    try {
      const { rows } = await pool.query("SELECT roles FROM users WHERE email = 'root@meshmart.test'");
      assert.deepEqual(rows[0]?.roles, ['customer', 'admin']);
    } finally {
      await pool.end();
    }
  });

  it('publishes ES256 keys and keeps a retired key until its tokens expire', async () => {
    const before = (await (await call('/.well-known/jwks.json')).json()) as {
      keys: Array<{ kid: string; alg: string; d?: string }>;
    };
    assert.equal(before.keys.length, 1);
    assert.equal(before.keys[0]?.alg, 'ES256');
    assert.equal(before.keys[0]?.d, undefined, 'private part must never be published');
    const pool = createPool(users.db.url, 2);
    try {
      const keys = new SigningKeys(pool, 30, 900);
      await keys.rotate();
      const next = await keys.signingKey();
      const { keys: published } = await keys.jwks();
      assert.notEqual(next.kid, before.keys[0]?.kid);
      assert.deepEqual(published.map((k) => k.kid).sort(), [next.kid, before.keys[0]?.kid].sort());
    } finally {
      await pool.end();
    }
  });

  it('refuses a token once it expires, though it passed moments before', async () => {
    const created = (await (await register('brief@example.com')).json()) as { id: string; roles: string[] };
    const pool = createPool(users.db.url, 1);
    let token: string;
    try {
      const settings = { issuer: 'meshmart-users', audience: 'meshmart', accessTtlSeconds: 2 };
      token = await issueAccessToken(new SigningKeys(pool, 30, 900), settings, created);
    } finally {
      await pool.end();
    }
    const me = () => call('/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me()).status, 200);
    assert.equal((await me()).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await me();
    assert.equal(expired.status, 401);
    assert.match(((await expired.json()) as { detail: string }).detail, /exp/);
  });

  it("refuses a token whose key left the published set, within the verifier's cache bound", async function () {
    this.timeout(VERIFICATION_KEYS_MAX_AGE_MS + 20_000);
    const created = (await (await register('withdrawn@example.com')).json()) as { id: string; roles: string[] };
    // The access-token lifetime users runs with here (the default): a retired key stays
    // published that long after retirement, so its tokens keep verifying until they expire.
    const accessTtlSeconds = 900;
    const pool = createPool(users.db.url, 1);
    try {
      const keys = new SigningKeys(pool, 30, accessTtlSeconds);
      const { kid } = await keys.signingKey();
      const token = await issueAccessToken(keys, { issuer: 'meshmart-users', audience: 'meshmart', accessTtlSeconds }, created);
      const me = async () => (await call('/me', { headers: { authorization: `Bearer ${token}` } })).status;
      assert.equal(await me(), 200);

      // Withdrawn as users withdraws a key: retired longer ago than a token lives, so jwks()
      // no longer publishes it. The token itself is minutes from expiry.
      const withdrawn = await pool.query(
        'UPDATE signing_keys SET retired_at = now() - make_interval(secs => $2) WHERE kid = $1',
        [kid, accessTtlSeconds + 1],
      );
      assert.equal(withdrawn.rowCount, 1);
      assert.ok(!(await keys.jwks()).keys.some((k) => k.kid === kid), 'the withdrawn key is still published');
      const withdrawnAt = Date.now();

      const deadline = withdrawnAt + VERIFICATION_KEYS_MAX_AGE_MS + 2_000;
      let status = await me();
      while (status === 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = await me();
      }
      assert.equal(status, 401, `still ${status} ${Date.now() - withdrawnAt} ms after the key was withdrawn`);
    } finally {
      await pool.end();
    }
  });

  it('applies migrations once however often it starts', async () => {
    const pool = createPool(users.db.url, 1);
    try {
      assert.deepEqual(await migrate(pool, migrations), []);
    } finally {
      await pool.end();
    }
  });

  it('answers GetUser over gRPC on the REST port, with proper status codes', async () => {
    const created = (await (await register('grpc@example.com')).json()) as { id: string };
    const client = new UsersInternalServiceClient(`127.0.0.1:${users.server.port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('dapr-api-token', TOKEN);
    const getUser = (userId: string) =>
      new Promise<{ user?: { email: string } }>((resolve, reject) =>
        client.getUser({ userId, addressId: '' }, md, (err, res) => (err ? reject(err) : resolve(res))),
      );
    try {
      assert.equal((await getUser(created.id)).user?.email, 'grpc@example.com');
      await assert.rejects(
        getUser('00000000-0000-4000-8000-000000000000'),
        (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
      );
      await assert.rejects(getUser('not-a-uuid'), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
  });

  it('refuses wrong types, unknown fields and operator objects without writing', async () => {
    const res = await call('/auth/register', {
      method: 'POST',
      body: JSON.stringify({ email: { $gt: '' }, password: 12345678, displayName: 'x', role: 'admin' }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { errors: Array<{ field: string }> };
    assert.deepEqual(body.errors.map((e) => e.field).sort(), ['email', 'password', 'role']);
  });
});
