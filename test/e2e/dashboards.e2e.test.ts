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
import { eventually, GatewayClient } from '@meshmart/test-support';

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
  // Emitted only when a Resiliency policy fires: locally only the inbound pub/sub retries,
  // which a load whose handlers all succeed (or drop at once) never needs.
  dapr_resiliency_activations_total: { due: false, why: 'no delivery is retried while every subscriber is up' },
};

describe('Grafana panels against the local Prometheus (local stack)', function () {
  this.timeout(180_000);
  let stack: StackHandle;
  let closeStream: (() => void) | undefined;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({ quiet: true, env: { gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '5' } } });
    await everyTargetScraped(stack.urls.prometheus);
    closeStream = await generateLoad(stack);
  });

  after(async () => {
    closeStream?.();
    await stack?.stop();
  });

  const prom = async (query: string): Promise<PromAnswer> => {
    const r = await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
    return (await r.json()) as PromAnswer;
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

  it('returns a finite, non-zero value for every panel query after a short load', async () => {
    const local = queries.filter((q) => q.metrics.every((m) => m.source === 'services' || m.source === 'daprd'));
    const due = local.filter((q) => !q.metrics.some((m) => dueWhen[m.name] && !dueWhen[m.name]?.due));
    const pending = local.filter((q) => !due.includes(q));
    // Rates need two scrapes after the load, and fade a minute after it: a panel passes
    // once it shows a value, and only the others are asked again. A rejected query
    // fails at once; it never gets better.
    const deadline = Date.now() + 60_000;
    let waiting = due;
    let findings = await panelFindings(waiting, prom);
    while (Date.now() < deadline && findings.rejected.length === 0 && findings.withoutValue.length > 0) {
      waiting = waiting.filter((q) => !findings.satisfied.includes(q));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      findings = await panelFindings(waiting, prom);
    }
    if (pending.length > 0) {
      const lines = pending.map(
        (q) => `        - ${q.dashboard} / ${q.panel}: ${q.metrics.map((m) => dueWhen[m.name]?.why).find(Boolean)}`,
      );
      process.stdout.write(`      panels not yet due:\n${lines.join('\n')}\n`);
    }
    assert.deepEqual(findings.rejected, [], 'queries Prometheus rejects');
    assert.deepEqual(findings.withoutValue, [], 'panels with no finite, non-zero value');
    assert.ok(due.length >= 20, `only ${due.length} panels were evaluated`);
  });

  it('catches a query Prometheus rejects and one naming a metric nobody exports', async () => {
    const findings = await panelFindings(
      [
        { dashboard: 'negative', panel: 'syntax', promql: 'sum(rate(http_requests_total[1m]', metrics: [] },
        { dashboard: 'negative', panel: 'unknown metric', promql: 'sum(rate(meshmart_no_such_metric_total[1m]))', metrics: [] },
      ],
      prom,
    );
    assert.equal(findings.rejected.length, 1);
    assert.match(findings.rejected[0] ?? '', /negative \/ syntax: .*parse error/);
    assert.deepEqual(findings.withoutValue, [
      'negative / unknown metric: sum(rate(meshmart_no_such_metric_total[1m])) (no series)',
    ]);
  });
});

interface PromAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ value?: [number, string] }> };
}

/**
 * Judges panel queries the way a reader of the dashboard would: a query Prometheus
 * rejects, one that returns no series, and one whose every series is zero, NaN or
 * infinite (a histogram quantile over no requests, a ratio of nothing) all show a panel
 * without data. Panels that read zero by design are listed in zeroByDesign with why.
 */
async function panelFindings(
  panels: PanelQuery[],
  prom: (query: string) => Promise<PromAnswer>,
): Promise<{ rejected: string[]; withoutValue: string[]; satisfied: PanelQuery[] }> {
  const rejected: string[] = [];
  const withoutValue: string[] = [];
  const satisfied: PanelQuery[] = [];
  for (const q of panels) {
    const label = `${q.dashboard} / ${q.panel}`;
    // A panel, or one query of it named by its first metric, may read zero by design.
    const zeroAllowed = zeroByDesign[label] ?? zeroByDesign[`${label} / ${q.metrics[0]?.name}`];
    const answer = await prom(q.promql);
    if (answer.status !== 'success') {
      rejected.push(`${label}: ${answer.error ?? answer.status}: ${q.promql}`);
      continue;
    }
    const values = (answer.data?.result ?? []).map((series) => Number(series.value?.[1]));
    if (values.length === 0) withoutValue.push(`${label}: ${q.promql} (no series)`);
    else if (!values.some((v) => Number.isFinite(v) && (v !== 0 || zeroAllowed !== undefined))) {
      withoutValue.push(`${label}: ${q.promql} (only ${[...new Set(values)].join(', ')})`);
    } else satisfied.push(q);
  }
  return { rejected, withoutValue, satisfied };
}

/**
 * Panels (or one query of a panel: `<panel> / <metric>`) whose honest value after a
 * healthy load is zero (still a finite number), and why.
 */
const zeroByDesign: Record<string, string> = {
  'service-overview.json / Events published and outbox backlog / outbox_pending':
    'the relay publishes within milliseconds, so a scrape rarely finds a row waiting; the backlog shows while the broker is down',
  'service-overview.json / Error ratio by route (5xx)': 'a healthy load has no 5xx; the load asserts it',
  'business-kpis.json / Redelivered events ignored': 'no delivery is retried while every subscriber is up',
  'service-overview.json / Fault flags set':
    'no fault flag is set during a healthy load; test/e2e/fault-flags.e2e.test.ts sets them',
  'service-overview.json / Faults injected':
    'no fault flag is set during a healthy load; test/e2e/fault-flags.e2e.test.ts sets them',
  'service-overview.json / Outbox rows parked':
    'no sidecar of the stack refuses a topic; tools/stack/test/dead-letters.int.test.ts parks a row on one that does',
};

/**
 * Waits until Prometheus has scraped every target once: a counter whose first sample is
 * already past zero shows no rate, so load sent before that would be invisible.
 */
async function everyTargetScraped(prometheus: string): Promise<void> {
  await eventually('Prometheus to scrape every target', async () => {
    const res = await fetch(`${prometheus}/api/v1/targets?state=active`);
    const body = (await res.json()) as { data: { activeTargets: Array<{ health: string }> } };
    const targets = body.data.activeTargets;
    return targets.length > 0 && targets.every((t) => t.health === 'up') ? true : undefined;
  });
}

/**
 * A few seconds of what users do, including the failures the dashboards count. Leaves one
 * live stats stream open, for the open-streams panels; the returned function closes it.
 */
async function generateLoad(stack: StackHandle): Promise<() => void> {
  const client = new GatewayClient(stack.urls.gateway);
  // Statuses seen per kind of request: the load must have done what the panels count.
  const seen = new Map<string, number[]>();
  const record = async <T extends { status: number }>(kind: string, call: Promise<T>): Promise<T> => {
    const res = await call;
    seen.set(kind, [...(seen.get(kind) ?? []), res.status]);
    return res;
  };
  const email = client.newEmail();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  await record('register', client.call('POST', '/api/auth/register', { body: { email, password, displayName: 'Load' } }));
  const login = await record('login', client.call('POST', '/api/auth/login', { body: { email, password } }));
  const { accessToken, user } = login.json<{ accessToken: string; user: { id: string } }>();
  const limited = new GatewayClient(stack.urls.gateway);
  const address = await record(
    'address',
    client.call('POST', '/api/users/me/addresses', {
      token: accessToken,
      body: { line1: '1 Load St', city: 'Porto', postalCode: '4000-001', country: 'PT' },
    }),
  );
  const products = await record('products', client.call('GET', '/api/products?limit=2&sort=name'));
  const [productId, otherProductId] = products.json<{ items: Array<{ id: string }> }>().items.map((p) => p.id);
  const checkout = (card: string) =>
    record(
      card === '4242424242424242' ? 'checkout approved' : 'checkout declined',
      client.call('POST', '/api/orders', {
        token: accessToken,
        headers: { 'idempotency-key': `load-${randomBytes(8).toString('hex')}` },
        body: {
          items: [{ productId, quantity: 1 }],
          shippingAddressId: address.json<{ id: string }>().id,
          card: { number: card, expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' },
        },
      }),
    );
  const users = new UsersInternalServiceClient(
    `127.0.0.1:${servicePorts('gateway').daprGrpc}`,
    grpc.credentials.createInsecure(),
  );
  const link = await record(
    'shorten',
    client.call('POST', '/api/links', { token: accessToken, body: { url: 'https://example.com/load' } }),
  );
  const { code } = link.json<{ code: string }>();
  // New content every run: the local databases persist, and a code seen before is a cache hit, not a render.
  const run = randomBytes(4).toString('hex');
  const redirect = (c: string) =>
    fetch(`${stack.urls.gateway}/s/${c}`, { redirect: 'manual' }).then(async (r) => {
      await r.arrayBuffer();
      return r;
    });
  let serial = 0;
  const md = new grpc.Metadata();
  md.set('dapr-app-id', 'users');
  md.set('dapr-api-token', stack.tokens.daprApiToken);
  // One malformed event, published the way a buggy producer would: analytics drops it and
  // counts it off the dead-letter topic, for the dead-letter panel.
  const poison = await fetch(`http://127.0.0.1:${servicePorts('links').daprHttp}/v1.0/publish/pubsub/link.clicked`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'dapr-api-token': stack.tokens.daprApiToken },
    body: JSON.stringify({ poison: run }),
  });
  assert.equal(poison.status, 204, await poison.text());
  // A live stats stream, open from here until the panels have been judged.
  const watching = new AbortController();
  const stream = await fetch(`${stack.urls.gateway}/api/links/${code}/stats/stream`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: watching.signal,
  });
  assert.equal(stream.status, 200);
  try {
    // Two scrape intervals' worth, so rate() over 1m has two samples.
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      await Promise.all([
        record('me', client.call('GET', '/api/users/me', { token: accessToken })),
        record('wrong password', client.call('POST', '/api/auth/login', { body: { email, password: 'wrong password' } })),
        record('unknown route', client.call('GET', '/api/no-such-route')),
        record('rate-limited login', limited.call('POST', '/api/auth/login', { body: { email, password } })),
        record(
          'register',
          client.call('POST', '/api/auth/register', { body: { email: client.newEmail(), password, displayName: 'L' } }),
        ),
        new Promise((resolve) => users.getUser({ userId: user.id, addressId: '' }, md, resolve)),
        // One order paid and one declined per round: saga, charge and reservation outcomes.
        checkout('4242424242424242'),
        checkout('4000000000000002'),
        // Redirects (and one unknown code), a new QR code and a repeat of the first, a client event.
        record('redirect', redirect(code)),
        record('unknown code', redirect('unknown-code')),
        record(
          'QR new',
          client.call('POST', '/api/qr', { token: accessToken, body: { content: `load ${run} ${serial++}`, format: 'svg' } }),
        ),
        record('QR repeat', client.call('POST', '/api/qr', { token: accessToken, body: { content: 'load', format: 'png' } })),
        record('track', client.call('POST', '/api/analytics/track', { token: accessToken, body: { name: 'page.view' } })),
        // Search, a suggestion, and the list beside another product (the one bought here is a best-seller of it).
        record('search', client.call('GET', '/api/search?q=mug')),
        record('suggest', client.call('GET', '/api/search/suggest?q=mu')),
        record('recommendations', client.call('GET', `/api/products/${otherProductId ?? productId}/recommendations`)),
      ]);
    }
  } catch (err) {
    watching.abort();
    throw err;
  } finally {
    users.close();
  }
  const failures = [...seen].flatMap(([kind, statuses]) => statuses.filter((s) => s >= 500).map((s) => `${kind}: ${s}`));
  assert.deepEqual(failures, [], 'server errors during the load');
  // The outcomes the panels chart, each at least once (rate limits may refuse some).
  const expected: Record<string, number> = {
    register: 201,
    login: 200,
    me: 200,
    'wrong password': 401,
    'unknown route': 404,
    'rate-limited login': 429,
    'checkout approved': 201,
    'checkout declined': 201,
    redirect: 302,
    'unknown code': 404,
    'QR new': 201,
    track: 202,
    search: 200,
    suggest: 200,
    recommendations: 200,
  };
  for (const [kind, status] of Object.entries(expected)) {
    assert.ok(seen.get(kind)?.includes(status), `the load never got ${status} for ${kind}: ${seen.get(kind)?.join(', ')}`);
  }
  return () => watching.abort();
}
