/**
 * The calls the running system really makes, read back from Jaeger, against the calls
 * the topology declares. The topology is what the cluster's AuthorizationPolicies allow,
 * so a call missing from it passes every local test and is denied by Istio in the
 * cluster; a declared edge nobody exercises is an allowance no test backs.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  compareCallGraphs,
  declaredEdges,
  edgeKey,
  type JaegerTrace,
  type ObservedCallGraph,
  observeCallGraph,
  SIDECAR_SCOPE,
} from '@meshmart/kit/call-graph';
import { serviceNames } from '@meshmart/kit/topology';
import { localCredentials, type StackHandle, startStack } from '@meshmart/stack';
import { GatewayClient } from '@meshmart/test-support';

/**
 * Declared edges this journey does not exercise, by edgeKey, with the reason (e.g. one
 * only a background timer fires). Empty: the journey reaches every declared edge.
 */
const NOT_EXERCISED: Record<string, string> = {};

/** Traces per query; a window that fills it is split in two, down to this many levels. */
const PAGE = 200;
const MAX_SPLITS = 10;

describe('observed call graph', function () {
  this.timeout(180_000);
  let stack: StackHandle;
  // Taken when this suite's stack starts, not when mocha loads the file: a Jaeger that an
  // earlier suite left running (the stack reuses infrastructure that is up) still holds
  // that suite's traces, including ones whose spans died with processes it killed.
  let startedAtMicros = 0;

  after(async () => {
    await stack?.stop();
  });

  async function journey(): Promise<void> {
    const client = new GatewayClient(stack.urls.gateway);
    const ok = (res: { status: number; text: string }, status: number, what: string) =>
      assert.equal(res.status, status, `${what}: ${res.text}`);

    const email = client.newEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    ok(await client.call('POST', '/api/auth/register', { body: { email, password, displayName: 'Grapher' } }), 201, 'register');
    const login = await client.call('POST', '/api/auth/login', { body: { email, password } });
    ok(login, 200, 'login');
    const token = login.json<{ accessToken: string }>().accessToken;
    ok(await client.call('GET', '/api/users/me', { token }), 200, 'me');
    const address = await client.call('POST', '/api/users/me/addresses', {
      token,
      body: { line1: '1 Main St', city: 'Lisbon', postalCode: '1000-001', country: 'PT' },
    });
    ok(address, 201, 'address');
    const addressId = address.json<{ id: string }>().id;

    const admin = await client.call('POST', '/api/auth/login', {
      body: { email: localCredentials.admin.email, password: localCredentials.admin.password },
    });
    ok(admin, 200, 'admin login');
    const adminToken = admin.json<{ accessToken: string }>().accessToken;

    ok(await client.call('GET', '/'), 200, 'web UI');
    ok(await client.call('GET', '/api/products?category=coffee&sort=price&limit=3'), 200, 'products');
    // Six in stock and the default threshold of five: the first sale enters low stock.
    const described = {
      name: `Graph mug ${randomBytes(3).toString('hex')}`,
      category: 'coffee',
      priceMinor: 1500,
      currency: 'EUR',
    };
    const created = await client.call('POST', '/api/products', { token: adminToken, body: described });
    ok(created, 201, 'product');
    const productId = created.json<{ id: string }>().id;
    ok(await client.call('PUT', `/api/products/${productId}/stock`, { token: adminToken, body: { stock: 6 } }), 200, 'stock');
    ok(
      await client.call('PUT', `/api/products/${productId}`, { token: adminToken, body: { ...described, priceMinor: 1600 } }),
      200,
      'product update',
    );

    const checkout = (card: string) =>
      client.call('POST', '/api/orders', {
        token,
        headers: { 'idempotency-key': randomUUID() },
        body: {
          items: [{ productId, quantity: 1 }],
          shippingAddressId: addressId,
          card: { number: card, expMonth: 12, expYear: 2099, cvc: '123' },
        },
      });
    const paid = await checkout('4242424242424242');
    ok(paid, 201, 'paid checkout');
    assert.equal(paid.json<{ status: string }>().status, 'paid', paid.text);
    const declined = await checkout('4000000000000002');
    ok(declined, 201, 'declined checkout');
    assert.equal(declined.json<{ status: string }>().status, 'failed', declined.text);
    ok(await client.call('GET', '/api/orders?limit=5', { token }), 200, 'orders');
    const orderId = paid.json<{ id: string }>().id;
    ok(await client.call('POST', `/api/orders/${orderId}/cancel`, { token }), 200, 'cancel');
    ok(await client.call('GET', '/api/notifications', { token }), 200, 'notifications');
    ok(await client.call('GET', '/api/search?q=graph%20mug'), 200, 'search');
    ok(await client.call('GET', `/api/products/${productId}/recommendations`), 200, 'recommendations');
    // A rebuild verifies the admin token (search → users) and reads catalog's products (search → catalog).
    ok(await client.call('POST', '/api/admin/search/rebuild', { token: adminToken }), 202, 'search rebuild');
    ok(await client.call('DELETE', `/api/products/${productId}`, { token: adminToken }), 204, 'product delete');

    const link = await client.call('POST', '/api/links', { token, body: { url: 'https://example.com/graph' } });
    ok(link, 201, 'shorten');
    const code = link.json<{ code: string }>().code;
    const followed = await fetch(`${stack.urls.gateway}/s/${code}`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': client.forwardedFor },
    });
    assert.equal(followed.status, 302);
    ok(await client.call('GET', `/api/links/${code}/stats`, { token }), 200, 'stats');
    ok(await client.call('POST', '/api/qr', { token, body: { content: 'graph', format: 'svg' } }), 201, 'qr');
    ok(
      await client.call('POST', '/api/qr/batch', { token, body: { items: [{ content: 'one' }, { content: 'two' }] } }),
      200,
      'qr batch',
    );
    ok(
      await client.call('POST', '/api/analytics/track', { token, body: { name: 'page.view', properties: { path: '/graph' } } }),
      202,
      'track',
    );
    ok(await client.call('GET', '/api/analytics/usage', { token }), 200, 'usage');
    ok(await client.call('GET', '/api/analytics/summary', { token: adminToken }), 200, 'summary');
  }

  /** Every trace with a span of `service` that started in [start, end] (µs), split until Jaeger's limit is not reached. */
  async function tracesOf(service: string, start: number, end: number, into: Map<string, JaegerTrace>, depth = 0) {
    // Only traces with a sidecar span: the edges are read from those, and the apps' own
    // database traces (hundreds while catalog seeds) would crowd them out of a page.
    const sidecar = encodeURIComponent(JSON.stringify({ 'otel.scope.name': SIDECAR_SCOPE }));
    const url = `${stack.urls.jaeger}/api/traces?service=${service}&tags=${sidecar}&start=${start}&end=${end}&limit=${PAGE}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
    const found = ((await res.json()) as { data: JaegerTrace[] | null }).data ?? [];
    if (found.length >= PAGE) {
      assert.ok(depth < MAX_SPLITS, `more than ${PAGE} traces of ${service} within ${end - start} µs`);
      const middle = Math.floor((start + end) / 2);
      await tracesOf(service, start, middle, into, depth + 1);
      await tracesOf(service, middle, end, into, depth + 1);
      return;
    }
    for (const trace of found) {
      const known = into.get(trace.traceID);
      if (!known || known.spans.length < trace.spans.length) into.set(trace.traceID, trace);
    }
  }

  async function observed(): Promise<ObservedCallGraph & { traces: number }> {
    const traces = new Map<string, JaegerTrace>();
    const end = Date.now() * 1000;
    for (const service of serviceNames) await tracesOf(service, startedAtMicros, end, traces);
    return { ...observeCallGraph(traces.values()), traces: traces.size };
  }

  let graph: ObservedCallGraph & { traces: number };

  before(async function () {
    startedAtMicros = Date.now() * 1000;
    this.timeout(300_000);
    stack = await startStack({ quiet: true, env: { gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_API_MAX: '10000' } } });
    await journey();
    // Deliveries and outbox relays finish after the responses; spans reach Jaeger about
    // half a second after they end. Read until every expected edge is in, or give up
    // after a bound and let the assertions below name what is missing.
    const deadline = Date.now() + 60_000;
    for (;;) {
      graph = await observed();
      const diff = compareCallGraphs(graph.edges, declaredEdges(), Object.keys(NOT_EXERCISED));
      if ((diff.unobserved.length === 0 && graph.unexplained.length === 0) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    // One more read after a pause, so that late spans of an undeclared call are seen too.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    graph = await observed();
    console.log(`      observed edges (${graph.traces} traces):\n${graph.edges.map((e) => `        ${edgeKey(e)}`).join('\n')}`);
  });

  it('makes only calls and deliveries the topology declares', () => {
    const { undeclared } = compareCallGraphs(graph.edges, declaredEdges());
    assert.deepEqual(
      undeclared.map(edgeKey),
      [],
      `calls Istio would deny in the cluster (missing from services/kit/src/topology.ts):\n${undeclared.map(edgeKey).join('\n')}`,
    );
    assert.deepEqual(
      graph.unexplained,
      [],
      `cross-service hops the call graph cannot classify:\n${graph.unexplained.join('\n')}`,
    );
  });

  it('exercises every declared edge, or says why not', () => {
    const declared = new Set(declaredEdges().map(edgeKey));
    const stale = Object.keys(NOT_EXERCISED).filter((key) => !declared.has(key));
    assert.deepEqual(stale, [], 'NOT_EXERCISED names edges the topology does not declare');
    const { unobserved } = compareCallGraphs(graph.edges, declaredEdges(), Object.keys(NOT_EXERCISED));
    assert.deepEqual(
      unobserved.map(edgeKey),
      [],
      `declared edges no trace shows; exercise them or list them in NOT_EXERCISED with the reason:\n${unobserved.map(edgeKey).join('\n')}`,
    );
  });
});
