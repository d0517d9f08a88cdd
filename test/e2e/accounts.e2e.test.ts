/**
 * The foundation's promises, checked through the gateway of the real local stack:
 * real daprd sidecars, PostgreSQL, Redis, RabbitMQ, Jaeger and Prometheus.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { usersErrors } from '@meshmart/contracts/users';
import { createPool } from '@meshmart/kit';
import { SERVER_SPAN_SCOPE, SIDECAR_CALL_SCOPE } from '@meshmart/kit/call-graph';
import { appLaunch, infraUrls, type StackHandle, servicePorts, startStack } from '@meshmart/stack';
import { eventually, GatewayClient, newAdmin } from '@meshmart/test-support';
import { importJWK, type JWK, SignJWT } from 'jose';

const AUTH_LIMIT = 20;
const ADMIN = newAdmin();

describe('accounts through the gateway (local stack)', function () {
  this.timeout(120_000);
  let stack: StackHandle;
  let client: GatewayClient;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      // The tests present themselves as many clients behind one trusted proxy.
      env: {
        gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: String(AUTH_LIMIT) },
        users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
      },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  beforeEach(() => {
    client = new GatewayClient(stack.urls.gateway);
  });

  async function signUp(c = client) {
    const email = c.newEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const created = await c.call('POST', '/api/auth/register', { body: { email, password, displayName: 'E2E User' } });
    assert.equal(created.status, 201, created.text);
    const login = await c.call('POST', '/api/auth/login', { body: { email, password } });
    assert.equal(login.status, 200, login.text);
    const tokens = login.json<{ accessToken: string; refreshToken: string; user: { id: string } }>();
    return { email, password, ...tokens };
  }

  describe('registration and login', () => {
    it('registers with 201 and refuses a second account for the same e-mail with 409', async () => {
      const email = client.newEmail();
      const body = { email, password: 'long enough password', displayName: 'Dana' };
      const first = await client.call('POST', '/api/auth/register', { body });
      assert.equal(first.status, 201);
      assert.equal(first.json<{ email: string }>().email, email);
      const second = await client.call('POST', '/api/auth/register', { body: { ...body, email: email.toUpperCase() } });
      assert.equal(second.status, 409);
      assert.equal(second.problem().status, 409);
      assert.equal(second.problem().code, usersErrors.emailTaken);
    });

    it('answers a wrong password with 401 problem+json', async () => {
      const { email } = await signUp();
      const res = await client.call('POST', '/api/auth/login', { body: { email, password: 'not the password' } });
      assert.equal(res.status, 401);
      assert.match(res.problem().detail ?? '', /wrong e-mail or password/);
    });

    it('rotates refresh tokens and revokes them on logout', async () => {
      const { refreshToken } = await signUp();
      const refreshed = await client.call('POST', '/api/auth/refresh', { body: { refreshToken } });
      assert.equal(refreshed.status, 200);
      const next = refreshed.json<{ refreshToken: string; accessToken: string }>();
      assert.notEqual(next.refreshToken, refreshToken);
      const reused = await client.call('POST', '/api/auth/refresh', { body: { refreshToken } });
      assert.equal(reused.status, 401, 'a used refresh token must not work twice');
      const out = await client.call('POST', '/api/auth/logout', { body: { refreshToken: next.refreshToken } });
      assert.equal(out.status, 204);
      const afterLogout = await client.call('POST', '/api/auth/refresh', { body: { refreshToken: next.refreshToken } });
      assert.equal(afterLogout.status, 401);
    });
  });

  describe('the profile behind a token', () => {
    it('refuses /api/users/me without a token, with a tampered one or an expired one', async () => {
      const { accessToken, user } = await signUp();
      const none = await client.call('GET', '/api/users/me');
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate')?.startsWith('Bearer'), true);

      const [header, payload, signature] = accessToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');
      const tampered = await client.call('GET', '/api/users/me', { token: `${header}.${forged}.${signature}` });
      assert.equal(tampered.status, 401);
      assert.equal(tampered.problem().status, 401);

      // An expired token signed with the real key: only its age is wrong.
      const pool = createPool(infraUrls.postgres('users'), 1);
      try {
        const { rows } = await pool.query<{ private_jwk: JWK }>('SELECT private_jwk FROM signing_keys WHERE retired_at IS NULL');
        const key = await importJWK(rows[0]?.private_jwk as JWK, 'ES256');
        const expired = await new SignJWT({ roles: ['customer'] })
          .setProtectedHeader({ alg: 'ES256', kid: rows[0]?.private_jwk.kid as string })
          .setSubject(user.id)
          .setIssuer('meshmart-users')
          .setAudience('meshmart')
          .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
          .sign(key);
        const res = await client.call('GET', '/api/users/me', { token: expired });
        assert.equal(res.status, 401);
        assert.match(res.problem().detail ?? '', /exp/);
      } finally {
        await pool.end();
      }

      const garbage = await client.call('GET', '/api/users/me', { token: 'not.a.jwt' });
      assert.equal(garbage.status, 401);
    });

    it('returns the profile for a valid token and updates it', async () => {
      const { accessToken, email } = await signUp();
      const me = await client.call('GET', '/api/users/me', { token: accessToken });
      assert.equal(me.status, 200);
      assert.equal(me.json<{ email: string }>().email, email);
      const renamed = await client.call('PUT', '/api/users/me', { token: accessToken, body: { displayName: 'Renamed' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.json<{ displayName: string }>().displayName, 'Renamed');
    });

    it('keeps addresses per user: create, list, replace, delete', async () => {
      const a = await signUp();
      const other = await signUp(new GatewayClient(stack.urls.gateway));
      const address = { label: 'home', line1: '1 Main St', city: 'Lisbon', postalCode: '1000-001', country: 'pt' };
      const created = await client.call('POST', '/api/users/me/addresses', { token: a.accessToken, body: address });
      assert.equal(created.status, 201);
      const { id, country } = created.json<{ id: string; country: string }>();
      assert.equal(country, 'PT');
      const list = await client.call('GET', '/api/users/me/addresses', { token: a.accessToken });
      assert.deepEqual(
        list.json<{ items: Array<{ id: string }> }>().items.map((x) => x.id),
        [id],
      );
      const foreign = await client.call('GET', `/api/users/me/addresses/${id}`, { token: other.accessToken });
      assert.equal(foreign.status, 404, 'another user must not see it');
      const replaced = await client.call('PUT', `/api/users/me/addresses/${id}`, {
        token: a.accessToken,
        body: { ...address, city: 'Porto' },
      });
      assert.equal(replaced.json<{ city: string }>().city, 'Porto');
      assert.equal((await client.call('DELETE', `/api/users/me/addresses/${id}`, { token: a.accessToken })).status, 204);
      assert.equal((await client.call('GET', `/api/users/me/addresses/${id}`, { token: a.accessToken })).status, 404);
    });

    it('lets only admins list users', async () => {
      const customer = await signUp();
      const denied = await client.call('GET', '/api/admin/users', { token: customer.accessToken });
      assert.equal(denied.status, 403);
      const login = await client.call('POST', '/api/auth/login', { body: ADMIN });
      assert.equal(login.status, 200, 'the admin from ADMIN_EMAIL/ADMIN_PASSWORD exists');
      const { accessToken } = login.json<{ accessToken: string }>();
      // The list is oldest first and the local database keeps earlier runs' accounts.
      const first = await client.call('GET', '/api/admin/users?limit=1', { token: accessToken });
      assert.equal(first.status, 200);
      const { total } = first.json<{ total: number }>();
      const last = await client.call('GET', `/api/admin/users?limit=100&offset=${Math.max(0, total - 100)}`, {
        token: accessToken,
      });
      const emails = last.json<{ items: Array<{ email: string }> }>().items.map((u) => u.email);
      assert.ok(emails.includes(customer.email), 'the newest customer is on the last page');
    });
  });

  describe('bad input never reaches a 500', () => {
    it('answers malformed JSON with 400', async () => {
      const res = await client.call('POST', '/api/auth/register', { raw: '{"email": "x@y.z",' });
      assert.equal(res.status, 400);
      assert.equal(res.problem().status, 400);
    });

    it('answers unknown fields and wrong types with 400 and the fields named', async () => {
      const res = await client.call('POST', '/api/auth/register', {
        body: { email: client.newEmail(), password: 12345678, displayName: 'X', isAdmin: true },
      });
      assert.equal(res.status, 400);
      const fields = (res.problem().errors ?? []).map((e) => e.field).sort();
      assert.deepEqual(fields, ['isAdmin', 'password']);
    });

    it('answers operator objects with 400', async () => {
      const res = await client.call('POST', '/api/auth/login', { body: { email: { $gt: '' }, password: { $ne: null } } });
      assert.equal(res.status, 400);
    });

    it('answers a body over the limit with 413', async () => {
      const res = await client.call('POST', '/api/auth/register', {
        body: { email: client.newEmail(), password: 'x'.repeat(64 * 1024), displayName: 'X' },
      });
      assert.equal(res.status, 413);
      assert.equal(res.problem().status, 413);
    });
  });

  describe('rate limits', () => {
    it('answers 429 with Retry-After once a client spends its budget, across gateway replicas', async () => {
      // A second gateway process on its own port shares the sidecar's state store.
      const port = servicePorts('gateway').app + 900;
      const launch = appLaunch('gateway');
      const replica = spawn(launch.command, launch.args, {
        env: {
          ...process.env,
          PORT: String(port),
          DAPR_HTTP_PORT: String(servicePorts('gateway').daprHttp),
          DAPR_GRPC_PORT: String(servicePorts('gateway').daprGrpc),
          DAPR_API_TOKEN: stack.tokens.daprApiToken,
          TRUSTED_PROXY_HOPS: '1',
          RATE_LIMIT_AUTH_MAX: String(AUTH_LIMIT),
          LOG_LEVEL: 'error',
        },
        stdio: 'ignore',
      });
      try {
        const second = new GatewayClient(`http://127.0.0.1:${port}`, client.forwardedFor);
        await eventually('the replica', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));
        // The budget is per fixed 60 s window (the gateway's default) aligned to the clock:
        // calls that straddle a window's end would start a fresh budget halfway.
        const windowLeftMs = 60_000 - (Date.now() % 60_000);
        if (windowLeftMs < 15_000) await new Promise((resolve) => setTimeout(resolve, windowLeftMs + 100));
        const window = Math.floor(Date.now() / 60_000);
        const statuses: number[] = [];
        for (let i = 0; i < AUTH_LIMIT; i++) {
          const via = i % 2 === 0 ? client : second;
          statuses.push(
            (await via.call('POST', '/api/auth/login', { body: { email: 'nobody@meshmart.test', password: 'x' } })).status,
          );
        }
        assert.deepEqual([...new Set(statuses)], [401], 'the budget holds exactly AUTH_LIMIT calls');
        const limited = await second.call('POST', '/api/auth/login', { body: { email: 'nobody@meshmart.test', password: 'x' } });
        assert.equal(Math.floor(Date.now() / 60_000), window, 'the calls took over 15 s and left their rate-limit window');
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get('retry-after')) > 0);
        assert.equal(limited.problem().status, 429);
      } finally {
        replica.kill('SIGTERM');
      }
    });
  });

  describe('observability', () => {
    it('shows one register request as one trace across gateway, both sidecars, users and its pg query', async () => {
      const traceId = randomBytes(16).toString('hex');
      const res = await client.call('POST', '/api/auth/register', {
        body: { email: client.newEmail(), password: 'long enough password', displayName: 'Traced' },
        headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      });
      assert.equal(res.status, 201);
      type Span = { operationName: string; processID: string; tags: Array<{ key: string; value: unknown }> };
      type Trace = { spans: Span[]; processes: Record<string, { serviceName: string }> };
      const wanted = (trace: Trace) => {
        const seen = new Set(
          trace.spans.map((s) => {
            const scope = String(s.tags.find((t) => t.key === 'otel.scope.name')?.value ?? '');
            const service = trace.processes[s.processID]?.serviceName;
            if (scope === 'dapr-diagnostics') return `${service}.daprd`;
            if (s.operationName.startsWith('pg.query:INSERT')) return `${service}.pg-insert`;
            if (scope === SERVER_SPAN_SCOPE) return `${service}.http`;
            if (scope === SIDECAR_CALL_SCOPE) return `${service}.sidecar-call`;
            return 'other';
          }),
        );
        return ['gateway.http', 'gateway.sidecar-call', 'gateway.daprd', 'users.daprd', 'users.http', 'users.pg-insert'].every(
          (k) => seen.has(k),
        );
      };
      await eventually('the complete trace in Jaeger', async () => {
        const r = await fetch(`${stack.urls.jaeger}/api/traces/${traceId}`);
        if (!r.ok) return undefined;
        const trace = ((await r.json()) as { data: Trace[] }).data[0];
        return trace && wanted(trace) ? trace : undefined;
      });
    });

    it('exposes /metrics on both services and Prometheus scrapes them', async () => {
      for (const name of ['gateway', 'users'] as const) {
        const metrics = await (await fetch(`${stack.urls.services[name]?.probe}/metrics`)).text();
        assert.match(metrics, /http_server_request_duration_seconds_bucket/);
      }
      await eventually(
        'Prometheus to scrape both apps',
        async () => {
          const r = await fetch(
            `${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent('up{service=~"gateway|users"}')}`,
          );
          const body = (await r.json()) as {
            data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
          };
          const up = body.data.result.filter((s) => s.value[1] === '1').map((s) => s.metric.service);
          return up.includes('gateway') && up.includes('users') ? up : undefined;
        },
        60_000,
      );
    });

    it('publishes user.registered through the outbox and the sidecar', async () => {
      const email = client.newEmail();
      await client.call('POST', '/api/auth/register', { body: { email, password: 'long enough password', displayName: 'Evt' } });
      const pool = createPool(infraUrls.postgres('users'), 1);
      try {
        await eventually('the outbox row to be published', async () => {
          const { rows } = await pool.query(
            "SELECT published_at FROM outbox WHERE topic = 'user.registered' AND envelope->'data'->>'email' = $1",
            [email],
          );
          return rows[0]?.published_at ?? undefined;
        });
      } finally {
        await pool.end();
      }
    });
  });

  describe('sidecar outage', () => {
    it('answers 503 problem+json without hanging while users’ sidecar is down, and recovers', async () => {
      const { accessToken } = await signUp();
      await stack.stopSidecar('users');
      try {
        const res = await client.call('GET', '/api/users/me', { token: accessToken });
        assert.equal(res.status, 503);
        assert.equal(res.problem().status, 503);
      } finally {
        await stack.startSidecar('users');
      }
      await eventually('users to answer again through the gateway', async () => {
        const res = await client.call('GET', '/api/users/me', { token: accessToken });
        return res.status === 200 ? res : undefined;
      });
    });
  });
});
