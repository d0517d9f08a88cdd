/**
 * Every Grafana panel query, evaluated against the local Prometheus after a short load
 * on the real stack: each must return data. Panels on Istio and Envoy metrics cannot
 * have data without a cluster; cdk8s' unit tests check their names against the ones
 * Istio and Envoy document. Panels whose data needs a kind of service that does not
 * exist yet (a subscriber, a binding user) are named here with the condition that
 * makes them due, so they start failing the day that service lands without data.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { services } from '@meshmart/kit/topology';
import { UsersInternalServiceClient } from '@meshmart/proto/users/v1/users';
import { runnableServices, type StackHandle, servicePorts, startStack } from '@meshmart/stack';
import { eventually, GatewayClient } from './support.ts';

interface PanelQuery {
  dashboard: string;
  panel: string;
  promql: string;
  metrics: Array<{ name: string; source: 'services' | 'daprd' | 'istio' | 'envoy' }>;
}

const { queries } = JSON.parse(readFileSync(new URL('../../dashboards/queries.json', import.meta.url), 'utf8')) as {
  queries: PanelQuery[];
};

// Only services whose code exists run in the stack.
const running = services.filter((s) => runnableServices().includes(s.name));
const hasSubscriber = running.some((s) => s.subscribes.length > 0);
const usesBinding = running.some((s) => s.components.includes('smtp') || s.components.includes('blobstore'));

/** Metrics that only exist once the system has what produces them. */
const dueWhen: Record<string, { due: boolean; why: string }> = {
  events_received_total: { due: hasSubscriber, why: 'no service subscribes to a topic yet' },
  dapr_component_pubsub_ingress_count: { due: hasSubscriber, why: 'no service subscribes to a topic yet' },
  dapr_component_pubsub_ingress_latencies_bucket: { due: hasSubscriber, why: 'no service subscribes to a topic yet' },
  dapr_component_output_binding_count: { due: usesBinding, why: 'no service uses an output binding yet' },
  // Emitted only when a Resiliency policy fires; the local stack runs none (the cluster does).
  dapr_resiliency_activations_total: { due: false, why: 'only the cluster applies Resiliency policies' },
};

describe('Grafana panels against the local Prometheus (local stack)', function () {
  this.timeout(180_000);
  let stack: StackHandle;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({ quiet: true, env: { gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '5' } } });
    await generateLoad(stack);
  });

  after(async () => {
    await stack?.stop();
  });

  const prom = async (query: string) => {
    const r = await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await r.json()) as { status: string; error?: string; data: { result: unknown[] } };
    assert.equal(body.status, 'success', `${query}: ${body.error}`);
    return body.data.result;
  };

  it('uses only metric names the running services and sidecars export (or that are due later)', async () => {
    const names = new Set<string>();
    for (const { name } of running) {
      const urls = [`${stack.urls.services[name]?.probe}/metrics`, `http://127.0.0.1:${servicePorts(name).daprMetrics}/metrics`];
      for (const url of urls) {
        for (const line of (await (await fetch(url)).text()).split('\n')) {
          const m = /^([a-zA-Z_:][\w:]*)/.exec(line);
          if (m?.[1]) names.add(m[1]);
        }
      }
    }
    const unknown = queries
      .flatMap((q) => q.metrics)
      .filter((m) => (m.source === 'services' || m.source === 'daprd') && !names.has(m.name) && !dueWhen[m.name])
      .map((m) => m.name);
    assert.deepEqual([...new Set(unknown)], [], 'panel metrics nobody exports');
  });

  it('returns data for every panel query after a short load', async () => {
    const local = queries.filter((q) => q.metrics.every((m) => m.source === 'services' || m.source === 'daprd'));
    const empty: string[] = [];
    const pending: string[] = [];
    await eventually(
      'every panel to have data',
      async () => {
        empty.length = 0;
        pending.length = 0;
        for (const q of local) {
          const waiting = q.metrics.map((m) => dueWhen[m.name]).find((d) => d && !d.due);
          const result = await prom(q.promql);
          if (waiting) {
            pending.push(`${q.dashboard} / ${q.panel}: ${waiting.why}`);
            continue;
          }
          if (result.length === 0) empty.push(`${q.dashboard} / ${q.panel}: ${q.promql}`);
        }
        return empty.length === 0 ? true : undefined;
      },
      60_000,
    ).catch(() => undefined);
    if (pending.length > 0) process.stdout.write(`      panels not yet due:\n${pending.map((p) => `        - ${p}\n`).join('')}`);
    assert.deepEqual(empty, [], 'panels without data');
    assert.ok(local.length - pending.length >= 20, `only ${local.length - pending.length} panels were evaluated`);
  });
});

/** A few seconds of what users do, including the failures the dashboards count. */
async function generateLoad(stack: StackHandle): Promise<void> {
  const client = new GatewayClient(stack.urls.gateway);
  const email = client.newEmail();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  await client.call('POST', '/api/auth/register', { body: { email, password, displayName: 'Load' } });
  const login = await client.call('POST', '/api/auth/login', { body: { email, password } });
  const { accessToken, user } = login.json<{ accessToken: string; user: { id: string } }>();
  const limited = new GatewayClient(stack.urls.gateway);
  const address = await client.call('POST', '/api/users/me/addresses', {
    token: accessToken,
    body: { line1: '1 Load St', city: 'Porto', postalCode: '4000-001', country: 'PT' },
  });
  const products = await client.call('GET', '/api/products?limit=1&sort=name');
  const productId = products.json<{ items: Array<{ id: string }> }>().items[0]?.id;
  const checkout = (card: string) =>
    client.call('POST', '/api/orders', {
      token: accessToken,
      headers: { 'idempotency-key': `load-${randomBytes(8).toString('hex')}` },
      body: {
        items: [{ productId, quantity: 1 }],
        shippingAddressId: address.json<{ id: string }>().id,
        card: { number: card, expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' },
      },
    });
  const users = new UsersInternalServiceClient(
    `127.0.0.1:${servicePorts('gateway').daprGrpc}`,
    grpc.credentials.createInsecure(),
  );
  const link = await client.call('POST', '/api/links', { token: accessToken, body: { url: 'https://example.com/load' } });
  const { code } = link.json<{ code: string }>();
  // New content every run: the local databases persist, and a code seen before is a cache hit, not a render.
  const run = randomBytes(4).toString('hex');
  let serial = 0;
  const md = new grpc.Metadata();
  md.set('dapr-app-id', 'users');
  md.set('dapr-api-token', stack.tokens.daprApiToken);
  try {
    // Two scrape intervals' worth, so rate() over 1m has two samples.
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      await Promise.all([
        client.call('GET', '/api/users/me', { token: accessToken }),
        client.call('POST', '/api/auth/login', { body: { email, password: 'wrong password' } }),
        client.call('GET', '/api/no-such-route'),
        limited.call('POST', '/api/auth/login', { body: { email, password } }),
        client.call('POST', '/api/auth/register', { body: { email: client.newEmail(), password, displayName: 'L' } }),
        new Promise((resolve) => users.getUser({ userId: user.id, addressId: '' }, md, resolve)),
        // One order paid and one declined per round: saga, charge and reservation outcomes.
        checkout('4242424242424242'),
        checkout('4000000000000002'),
        // Redirects (and one unknown code), a new QR code and a repeat of the first, a client event.
        fetch(`${stack.urls.gateway}/s/${code}`, { redirect: 'manual' }).then((r) => r.arrayBuffer()),
        fetch(`${stack.urls.gateway}/s/unknown-code`, { redirect: 'manual' }).then((r) => r.arrayBuffer()),
        client.call('POST', '/api/qr', { token: accessToken, body: { content: `load ${run} ${serial++}`, format: 'svg' } }),
        client.call('POST', '/api/qr', { token: accessToken, body: { content: 'load', format: 'png' } }),
        client.call('POST', '/api/analytics/track', { token: accessToken, body: { name: 'page.view' } }),
      ]);
    }
  } finally {
    users.close();
  }
}
