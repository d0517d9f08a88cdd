/**
 * Outages through the gateway of the real local stack: PostgreSQL, Redis and RabbitMQ
 * are stopped in turn, then users' and orders' sidecars, and each class of route (an
 * event stream included: its status and first event) is
 * called while the dependency is down and again after it is back. A valid token never
 * earns a 401 because of an outage, nothing answers 500, no answer names an address or a
 * port, every 503 is problem+json with Retry-After, and everything answers as before
 * within 30 s of the restart. The file prints the dependency × route table at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mentionsInternals } from '@meshmart/kit';
import { allPorts, type StackHandle } from '@meshmart/stack';
import { checkoutBody, newAdmin, startGatewayStack } from '@meshmart/test-support';

const ADMIN = newAdmin();
const RECOVERY_MS = 30_000;

type RouteClass = 'products' | 'login' | 'me' | 'admin' | 'checkout' | 'redirect' | 'stream';
const ROUTE_LABELS: Record<RouteClass, string> = {
  products: 'public GET /api/products',
  login: 'public POST /api/auth/login',
  me: 'signed-in GET /api/users/me',
  admin: 'admin GET /api/admin/users',
  checkout: 'saga POST /api/orders',
  redirect: 'redirect GET /s/:code',
  stream: 'stream GET /api/links/:code/stats/stream',
};
const ROUTE_CLASSES = Object.keys(ROUTE_LABELS) as RouteClass[];

interface Answer {
  status: number;
  type: string;
  retryAfter: string | null;
  text: string;
}

/** Why an answer breaks the rules, or undefined. `ports` are the stack's listening ports. */
function violations(answer: Answer, ports: number[], tokenWasValid: boolean): string[] {
  const found: string[] = [];
  if (answer.status === 500) found.push('500');
  else if (answer.status > 500 && answer.status !== 503 && answer.status !== 504) found.push(`${answer.status}, not 503`);
  if (answer.status === 401 && tokenWasValid) found.push('401 for a valid token');
  if (answer.text.includes('127.0.0.1')) found.push('names 127.0.0.1');
  if (answer.text.includes('ECONN')) found.push('names an ECONN* error');
  if (answer.status >= 400) {
    const port = ports.find((p) => new RegExp(`\\b${p}\\b`).test(answer.text));
    if (port !== undefined) found.push(`names port ${port}`);
    if (mentionsInternals(answer.text)) found.push('names an address, a port or a socket error');
  }
  if (answer.status === 503) {
    if (!answer.type.startsWith('application/problem+json')) found.push(`503 as ${answer.type || 'no content type'}`);
    if (!answer.retryAfter) found.push('503 without Retry-After');
  }
  return found;
}

describe('outages through the gateway (local stack)', function () {
  this.timeout(120_000);
  let stack: StackHandle;
  let ports: number[];
  const forwardedFor = `fd00::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
  const buyer = { email: `e2e-${randomUUID()}@meshmart.test`, password: `pw-${randomBytes(8).toString('hex')}` };
  let buyerToken: string;
  let adminToken: string;
  let addressId: string;
  let productId: string;
  let linkCode: string;
  const baseline = new Map<RouteClass, number>();
  const table: Record<string, Record<string, string>> = {};

  async function call(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const response = await fetch(stack.urls.gateway + path, {
      method,
      redirect: 'manual',
      headers: {
        'x-forwarded-for': forwardedFor,
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
      // Above the gateway's saga timeout, so that the gateway, not this client, decides.
      signal: AbortSignal.timeout(40_000),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      retryAfter: response.headers.get('retry-after'),
      text: await response.text(),
    };
  }

  const routes: Record<RouteClass, () => Promise<Answer>> = {
    products: () => call('GET', '/api/products?limit=1'),
    login: () => call('POST', '/api/auth/login', { body: buyer }),
    me: () => call('GET', '/api/users/me', { token: buyerToken }),
    admin: () => call('GET', '/api/admin/users?limit=1', { token: adminToken }),
    checkout: () =>
      call('POST', '/api/orders', {
        token: buyerToken,
        headers: { 'idempotency-key': randomUUID() },
        body: checkoutBody(productId, addressId),
      }),
    redirect: () => call('GET', `/s/${linkCode}`),
    stream: () => openStream(`/api/links/${linkCode}/stats/stream`, buyerToken),
  };

  /**
   * An event stream answers its status at once and then stays open: the answer is the
   * status and, for a stream, its first event (what a browser would show), then it is closed.
   */
  async function openStream(path: string, token: string): Promise<Answer> {
    const closing = new AbortController();
    const response = await fetch(stack.urls.gateway + path, {
      headers: { 'x-forwarded-for': forwardedFor, authorization: `Bearer ${token}` },
      signal: AbortSignal.any([closing.signal, AbortSignal.timeout(40_000)]),
    });
    const type = response.headers.get('content-type') ?? '';
    let text = '';
    try {
      if (type.startsWith('text/event-stream') && response.body) {
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        while (!text.includes('\n\n')) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      } else {
        text = await response.text();
      }
    } finally {
      closing.abort();
    }
    return { status: response.status, type, retryAfter: response.headers.get('retry-after'), text };
  }

  before(async function () {
    this.timeout(300_000);
    stack = await startGatewayStack({ admin: ADMIN });
    ports = allPorts().map((p) => p.port);

    const admin = await call('POST', '/api/auth/login', { body: ADMIN });
    assert.equal(admin.status, 200, admin.text);
    adminToken = (JSON.parse(admin.text) as { accessToken: string }).accessToken;
    const registered = await call('POST', '/api/auth/register', { body: { ...buyer, displayName: 'Outage Buyer' } });
    assert.equal(registered.status, 201, registered.text);
    const login = await call('POST', '/api/auth/login', { body: buyer });
    assert.equal(login.status, 200, login.text);
    buyerToken = (JSON.parse(login.text) as { accessToken: string }).accessToken;
    const address = await call('POST', '/api/users/me/addresses', {
      token: buyerToken,
      body: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    });
    assert.equal(address.status, 201, address.text);
    addressId = (JSON.parse(address.text) as { id: string }).id;
    const category = `outage-${randomBytes(4).toString('hex')}`;
    const created = await call('POST', '/api/categories', { token: adminToken, body: { id: category, name: 'Outages' } });
    assert.equal(created.status, 201, created.text);
    const product = await call('POST', '/api/products', {
      token: adminToken,
      body: { name: 'Outage mug', category, priceMinor: 500, currency: 'EUR' },
    });
    assert.equal(product.status, 201, product.text);
    productId = (JSON.parse(product.text) as { id: string }).id;
    const stocked = await call('PUT', `/api/products/${productId}/stock`, { token: adminToken, body: { stock: 10_000 } });
    assert.equal(stocked.status, 200, stocked.text);
    const link = await call('POST', '/api/links', { token: buyerToken, body: { url: 'https://example.com/outages' } });
    assert.equal(link.status, 201, link.text);
    linkCode = (JSON.parse(link.text) as { code: string }).code;
  });

  after(async () => {
    if (Object.keys(table).length > 0) {
      process.stdout.write('\n  status while each dependency is down; "back after": until every route answered as before\n');
      console.table(table);
    }
    await stack?.stop();
  });

  it('the leak check catches an address, a port and a socket error, and lets a plain 503 through', () => {
    const leaky: Answer = {
      status: 401,
      type: 'application/problem+json',
      retryAfter: null,
      text: '{"detail":"access token rejected: connect ECONNREFUSED 127.0.0.1:21432"}',
    };
    assert.deepEqual(violations(leaky, [21432], true).sort(), [
      '401 for a valid token',
      'names 127.0.0.1',
      'names an ECONN* error',
      'names an address, a port or a socket error',
      'names port 21432',
    ]);
    assert.deepEqual(violations({ ...leaky, status: 503, type: 'text/plain', text: 'down' }, [21432], true), [
      '503 as text/plain',
      '503 without Retry-After',
    ]);
    const clean: Answer = {
      status: 503,
      type: 'application/problem+json',
      retryAfter: '5',
      text: '{"status":503,"detail":"checkout is unavailable right now; please retry shortly"}',
    };
    assert.deepEqual(violations(clean, [21432], true), []);
  });

  it('answers every route class while everything is up', async () => {
    const row: Record<string, string> = {};
    for (const route of ROUTE_CLASSES) {
      const answer = await routes[route]();
      assert.ok(answer.status < 400, `${ROUTE_LABELS[route]}: ${answer.status} ${answer.text}`);
      baseline.set(route, answer.status);
      row[route] = String(answer.status);
    }
    table['(nothing down)'] = row;
  });

  interface Outage {
    name: string;
    stop: () => Promise<void>;
    start: () => Promise<void>;
  }
  const outages: Outage[] = [
    { name: 'postgres', stop: () => stack.stopInfra('postgres'), start: () => stack.startInfra('postgres') },
    { name: 'redis', stop: () => stack.stopInfra('redis'), start: () => stack.startInfra('redis') },
    { name: 'rabbitmq', stop: () => stack.stopInfra('rabbitmq'), start: () => stack.startInfra('rabbitmq') },
    { name: 'users sidecar', stop: () => stack.stopSidecar('users'), start: () => stack.startSidecar('users') },
    { name: 'orders sidecar', stop: () => stack.stopSidecar('orders'), start: () => stack.startSidecar('orders') },
  ];

  for (const outage of outages) {
    it(`${outage.name} down: no 401, no 500, no leaks, 503s with Retry-After; back within 30 s`, async () => {
      assert.equal(baseline.size, ROUTE_CLASSES.length, 'the baseline ran first');
      const row: Record<string, string> = {};
      table[`${outage.name} down`] = row;
      const broken: string[] = [];
      // Not caught: a dependency this stack did not start (reused from another run) cannot
      // be stopped, and the test must fail saying so rather than pass on a live dependency.
      await outage.stop();
      try {
        for (const route of ROUTE_CLASSES) {
          const answer = await routes[route]();
          row[route] = String(answer.status);
          const signedIn = route === 'me' || route === 'admin' || route === 'checkout' || route === 'stream';
          for (const v of violations(answer, ports, signedIn)) {
            broken.push(`${ROUTE_LABELS[route]}: ${v} (${answer.status} ${answer.text.slice(0, 200)})`);
          }
        }
      } finally {
        await outage.start();
      }
      const restarted = Date.now();
      for (const route of ROUTE_CLASSES) {
        const expected = baseline.get(route);
        // Asked at least once even when the time is spent, so a late route is named, not skipped.
        for (let attempt = 1; ; attempt++) {
          const status = await routes[route]().then(
            (a) => a.status,
            (err: Error) => err.message,
          );
          if (status === expected) break;
          if (Date.now() - restarted > RECOVERY_MS) {
            broken.push(`${ROUTE_LABELS[route]}: still ${status} ${RECOVERY_MS / 1000} s after the restart`);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 1000)));
        }
      }
      row['back after'] = `${((Date.now() - restarted) / 1000).toFixed(1)} s`;
      assert.deepEqual(broken, [], `with ${outage.name} down`);
    });
  }
});
