// The gateway over real HTTP, limited to what needs no Dapr sidecar: everything here is
// decided at the edge, or is the gateway's answer to a sidecar that is not there.
import assert from 'node:assert/strict';
import net from 'node:net';
import { createAccessTokenVerifier, type RunningServer, Sidecar } from '@meshmart/kit';
import { type CounterStore, FixedWindowLimiter } from '../src/rate-limit.ts';
import { service } from '../src/service.ts';
import { grpcDeps } from './grpc-fakes.ts';
import { AUDIENCE, accessToken, FakeJwks, ISSUER, MemoryStateStore, type SigningKey, signingKey } from './support.ts';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Gateway {
  base: string;
  server: RunningServer;
}

async function startGateway(
  counters: 'unreachable' | CounterStore,
  authMax = 100,
  keys: 'served' | 'unreachable' = 'served',
): Promise<Gateway & { key: SigningKey }> {
  const key = await signingKey('key-1');
  const jwks = new FakeJwks();
  jwks.keys = [key.jwk];
  const daprHttpPort = await closedPort();
  const sidecar = new Sidecar({ daprHttpPort, timeoutMs: 2000 });
  const config = service.loadConfig({
    PORT: '1',
    BIND_HOST: '127.0.0.1',
    DAPR_HTTP_PORT: String(daprHttpPort),
    DAPR_GRPC_PORT: String(await closedPort()),
    BODY_LIMIT: '1kb',
    BATCH_BODY_LIMIT: '64kb',
    UPSTREAM_TIMEOUT_MS: '2000',
    SAGA_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'error',
  });
  const accessTokens = createAccessTokenVerifier({
    jwksUrl: new URL(`${sidecar.base}/v1.0/invoke/users/method/.well-known/jwks.json`),
    issuer: ISSUER,
    audience: AUDIENCE,
    cacheMaxAgeMs: 600_000,
    cooldownMs: 0,
    timeoutMs: 1000,
    // Unreachable: the key set is fetched for real, from the closed sidecar port.
    ...(keys === 'served' && { fetch: jwks.fetch }),
  });
  const server = await service.start(
    { ...config, PORT: 0 },
    {
      handleSignals: false,
      accessTokens,
      dependencies: {
        limiter: new FixedWindowLimiter({
          store: counters === 'unreachable' ? sidecar : counters,
          storeName: 'statestore',
          policies: {
            auth: { max: authMax, windowSeconds: 60 },
            api: { max: 2, windowSeconds: 60 },
            redirect: { max: 100, windowSeconds: 60, lease: 10 },
          },
        }),
        ...grpcDeps({ daprGrpcPort: await closedPort() }),
      },
    },
  );
  return { base: `http://127.0.0.1:${server.port}`, server, key };
}

async function problemOf(res: Response): Promise<{ status: number; detail: string; errors?: Array<{ field: string }> }> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  return (await res.json()) as { status: number; detail: string; errors?: Array<{ field: string }> };
}

describe('gateway over HTTP without a sidecar', () => {
  let gw: Gateway & { key: SigningKey };
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(gw.base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  before(async () => {
    gw = await startGateway('unreachable');
  });
  after(() => gw.server.close());

  it('answers malformed JSON with 400', async () => {
    const res = await post('/api/auth/login', '{"email": "a@b.co", ');
    assert.equal(res.status, 400);
    assert.match((await problemOf(res)).detail, /malformed JSON/);
  });

  it('answers unknown fields and wrong types with 400 and field errors', async () => {
    const res = await post(
      '/api/auth/register',
      JSON.stringify({ email: 'a@b.co', password: 42, displayName: 'A', role: 'admin' }),
    );
    assert.equal(res.status, 400);
    const body = await problemOf(res);
    assert.deepEqual(body.errors?.map((e) => e.field).sort(), ['password', 'role']);
  });

  it('answers a body over the limit with 413 and a non-JSON body with 415', async () => {
    const big = await post(
      '/api/auth/register',
      JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2048), displayName: 'A' }),
    );
    assert.equal(big.status, 413);
    await problemOf(big);
    const text = await post('/api/auth/login', 'email=a@b.co', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(text.status, 415);
  });

  it('answers a missing or tampered token with 401 and WWW-Authenticate: Bearer', async () => {
    const missing = await fetch(`${gw.base}/api/users/me`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    await problemOf(missing);

    const token = await accessToken(gw.key);
    const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const res = await fetch(`${gw.base}/api/users/me`, { headers: { authorization: `Bearer ${tampered}` } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    await problemOf(res);
  });

  it('answers 403 on admin routes for a valid token without the admin role', async () => {
    const token = await accessToken(gw.key, { roles: ['customer'] });
    const res = await fetch(`${gw.base}/api/admin/users`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
    await problemOf(res);
  });

  it('answers 503 problem+json quickly when the sidecar is unreachable, letting the limiter fail open', async () => {
    const started = Date.now();
    const res = await post('/api/auth/login', JSON.stringify({ email: 'a@b.co', password: 'whatever1' }));
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.match((await problemOf(res)).detail, /^sign-in is unavailable/, 'the detail names what the route provides');
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);

    const token = await accessToken(gw.key);
    const me = await fetch(`${gw.base}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 503);
    assert.ok(me.headers.get('retry-after'), 'a 503 passed on from upstream keeps Retry-After');
    assert.match((await problemOf(me)).detail, /^your profile is unavailable/);

    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    assert.match(metrics, /gateway_rate_limit_errors_total\{service="gateway"\} [1-9]/);
  });

  it('decides catalog, orders and notifications input at the edge, and forwards what passes', async () => {
    const customer = { authorization: `Bearer ${await accessToken(gw.key)}` };
    const fieldsOf = async (res: Response) => (await problemOf(res)).errors?.map((e) => e.field);

    const operator = await fetch(`${gw.base}/api/products?price[$gt]=1`);
    assert.equal(operator.status, 400);
    assert.deepEqual(await fieldsOf(operator), ['price[$gt]']);
    assert.deepEqual(await fieldsOf(await fetch(`${gw.base}/api/products?q=a&q=b&limit=0`)), ['q', 'limit']);
    const listed = await fetch(`${gw.base}/api/products?sort=-price&inStock=true`);
    assert.equal(listed.status, 503);
    assert.match((await problemOf(listed)).detail, /^the product catalog is unavailable/);

    const notAdmin = await post('/api/products', JSON.stringify({}), customer);
    assert.equal(notAdmin.status, 403);

    const checkout = {
      items: [{ productId: 'mug', quantity: 1 }],
      shippingAddressId: '3f0b4a8e-8f55-4c43-9d6a-1a2b3c4d5e6f',
      card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
    };
    const noKey = await post('/api/orders', JSON.stringify(checkout), customer);
    assert.equal(noKey.status, 400);
    assert.deepEqual(await fieldsOf(noKey), ['header idempotency-key']);
    const withKey = { ...customer, 'idempotency-key': 'checkout-0001' };
    const priced = { ...checkout, items: [{ productId: 'mug', quantity: 1, unitPriceMinor: 1 }] };
    assert.deepEqual(await fieldsOf(await post('/api/orders', JSON.stringify(priced), withKey)), ['items.0.unitPriceMinor']);
    const placed = await post('/api/orders', JSON.stringify(checkout), withKey);
    assert.equal(placed.status, 503);
    assert.match((await problemOf(placed)).detail, /^checkout is unavailable/);

    const unread = await fetch(`${gw.base}/api/notifications?unread=maybe`, { headers: customer });
    assert.deepEqual(await fieldsOf(unread), ['unread']);
  });

  it('takes analytics events with or without a token, but not with a bad one', async () => {
    const event = JSON.stringify({ name: 'page.view' });
    const anonymous = await post('/api/analytics/track', event);
    assert.equal(anonymous.status, 503, 'let through to an absent analytics');
    assert.match((await problemOf(anonymous)).detail, /^analytics is unavailable/);
    const forged = await post('/api/analytics/track', event, { authorization: 'Bearer not.a.token' });
    assert.equal(forged.status, 401);
    const signedIn = await post('/api/analytics/track', event, { authorization: `Bearer ${await accessToken(gw.key)}` });
    assert.equal(signedIn.status, 503);

    const customer = { authorization: `Bearer ${await accessToken(gw.key)}` };
    assert.equal((await fetch(`${gw.base}/api/analytics/summary`, { headers: customer })).status, 403);
    const usage = await fetch(`${gw.base}/api/analytics/usage?from=yesterday`, { headers: customer });
    assert.deepEqual(
      (await problemOf(usage)).errors?.map((e) => e.field),
      ['from'],
    );
  });

  it('is not ready without its sidecar, but alive', async () => {
    assert.equal((await fetch(`${gw.base}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.base}/readyz`)).status, 503);
  });

  it('serves its OpenAPI document and echoes request ids', async () => {
    const res = await fetch(`${gw.base}/api/openapi.json`, { headers: { 'x-request-id': 'req-42' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'req-42');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/users/me/addresses/{id}']);
  });

  it('serves the documentation page and its files from this origin, and nothing else under /api/docs', async () => {
    const page = await fetch(`${gw.base}/api/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
    const html = await page.text();
    for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js']) {
      assert.ok(html.includes(`/api/docs/${file}`), file);
      const res = await fetch(`${gw.base}/api/docs/${file}`);
      assert.equal(res.status, 200, file);
      assert.ok((await res.arrayBuffer()).byteLength > 0, file);
    }
    assert.match(await (await fetch(`${gw.base}/api/docs/docs.js`)).text(), /url: '\/api\/openapi.json'/);
    assert.doesNotMatch(html, /https?:\/\//, 'the page loads nothing from another origin');
    for (const other of ['package.json', '..%2Fpackage.json', 'index.html']) {
      const res = await fetch(`${gw.base}/api/docs/${other}`);
      assert.equal(res.status, 404, other);
      await problemOf(res);
    }
  });

  it('answers unknown routes and methods with problems', async () => {
    assert.equal((await fetch(`${gw.base}/api/nope`)).status, 404);
    const wrongMethod = await fetch(`${gw.base}/api/auth/login`);
    assert.equal(wrongMethod.status, 405);
    await problemOf(wrongMethod);
  });
});

describe('gateway rate limits over HTTP', () => {
  let gw: Gateway & { key: SigningKey };
  before(async () => {
    gw = await startGateway(new MemoryStateStore(), 2);
  });
  after(() => gw.server.close());

  it('answers 429 problem+json with Retry-After once a client used its budget', async () => {
    const login = (headers: Record<string, string> = {}) =>
      fetch(`${gw.base}/api/auth/login`, {
        method: 'POST',
        body: JSON.stringify({ email: 'a@b.co', password: 'whatever1' }),
        headers: { 'content-type': 'application/json', ...headers },
      });
    const first = await login();
    assert.equal(first.status, 503, 'within budget the request goes on (to an absent users)');
    assert.equal(first.headers.get('ratelimit-remaining'), '1');
    await login();
    // A forged X-Forwarded-For does not buy a new budget: no proxy hops are trusted.
    const limited = await login({ 'x-forwarded-for': '203.0.113.7' });
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    await problemOf(limited);
    assert.match(
      await (await fetch(`${gw.base}/metrics`)).text(),
      /gateway_rate_limited_total\{route="\/api\/auth\/login",service="gateway"\} [1-9]/,
    );
  });

  it('keys signed-in callers by user, not by address', async () => {
    const get = async (sub: string) =>
      (await fetch(`${gw.base}/api/users/me`, { headers: { authorization: `Bearer ${await accessToken(gw.key, { sub })}` } }))
        .status;
    assert.deepEqual([await get('user-a'), await get('user-a'), await get('user-a')], [503, 503, 429]);
    assert.equal(await get('user-b'), 503, 'another user from the same address has their own budget');
  });
});

describe('gateway whose signing keys cannot be fetched', () => {
  let gw: Gateway & { key: SigningKey };

  before(async () => {
    gw = await startGateway('unreachable', 100, 'unreachable');
  });
  after(() => gw.server.close());

  it('answers a valid token with 503, Retry-After and the route’s capability, never 401', async () => {
    const token = await accessToken(gw.key, { roles: ['customer', 'admin'] });
    for (const [path, capability] of [
      ['/api/users/me', 'your profile'],
      ['/api/admin/users', 'user administration'],
    ] as const) {
      const res = await fetch(gw.base + path, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 503, path);
      assert.ok(Number(res.headers.get('retry-after')) > 0, path);
      const { detail } = await problemOf(res);
      assert.ok(detail.startsWith(`${capability} is unavailable`), detail);
      assert.ok(!/127\.0\.0\.1|ECONN|:\d+/.test(detail), detail);
    }
  });

  it('still refuses a token that is no token at all with 401', async () => {
    const res = await fetch(`${gw.base}/api/users/me`, { headers: { authorization: 'Bearer not-a-jwt' } });
    assert.equal(res.status, 401);
  });
});
