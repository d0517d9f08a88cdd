/**
 * The Envoy configuration the real istiod computes from the synthesized manifests,
 * compared with the topology. istiod (startIstiod) runs against the loopback control
 * plane with the install profile's mesh config; tools/xds-dump asks it for the
 * listeners, clusters and routes of each workload's sidecar and of the ingress gateway,
 * as their Envoy would. Checked: STRICT mTLS on every inbound chain, RBAC admitting
 * exactly the topology's callers, the DestinationRules' limits on every outbound cluster,
 * the invocation routes' retries and timeouts, the edge routes and JWT provider; and,
 * as negative cases, that each comparison reports a drift applied to the cluster.
 * Pods get no IP without a kubelet: istiod finds each by the name in the proxy's node id
 * (support/xds.ts, proxyOf), so no pod status is patched. No Envoy runs, so
 * what Envoy does with this configuration stays unproven here (docs/cluster.md).
 */
import assert from 'node:assert/strict';
import { accessTokenClaims as accessTokens } from '@meshmart/kit/deployment/environment';
import { services } from '@meshmart/kit/topology';
import { type ControlPlane, type Istiod, type KubeObject, startControlPlane, startIstiod } from '@meshmart/stack';
import { callersOf } from '../src/context.ts';
import { storeAccess } from '../src/data/stores.ts';
import { edgeRoutes, edgeService, jwksUri } from '../src/mesh/ingress.ts';
import { daprInternalInvocationPrefix, invocationBounds, trafficPolicy, trafficSettings } from '../src/mesh/traffic.ts';
import { appPrincipal, daprInternalPort, fqdn, ingressGateway, ingressPrincipal, invokeServiceName } from '../src/naming.ts';
import { namespaces } from '../src/settings.ts';
import { addBudgetNode, applyAll, installCrds, installStorage } from './support/loopback-cluster.ts';
import { type K8sObject, named, synthesize } from './support/synth.ts';
import {
  assertXdsDumpBuilt,
  clusterFindings,
  durationMs,
  expectedClusterLimits,
  inboundGrants,
  inboundMtlsFindings,
  jwtProviders,
  outboundCluster,
  type PodLike,
  proxyOf,
  type RouteSummary,
  readXds,
  routeFindings,
  setFindings,
  virtualHostRoutes,
  type XdsDump,
  type XdsProxy,
} from './support/xds.ts';

const summary: string[][] = [];

after(() => {
  if (summary.length === 0) return;
  const widths = summary[0]?.map((_, i) => Math.max(...summary.map((row) => (row[i] ?? '').length))) ?? [];
  const lines = summary.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  process.stdout.write(`\n  xds check (istiod's Envoy config vs the topology)\n${lines.map((l) => `    ${l}`).join('\n')}\n\n`);
});

const objects = synthesize({ size: 'default', seed: Buffer.alloc(48, 7) }).objects;

/** A workload whose proxy is checked: the topology's apps, the stores, the ingress gateway. */
interface Workload {
  name: string;
  namespace: string;
  type: XdsProxy['type'];
  /** Inbound ports that must have an mTLS chain of their own. */
  ports: number[];
  /** `principal -> port` grants the inbound RBAC must equal; none for the gateway proxy. */
  grants?: string[];
}

const grant = (principal: string, port: number) => `${principal} -> ${port}`;

/** The ALLOW rules authorization.ts derives, restated as grants: callers to daprd, the ingress to public apps. */
function appGrants(name: (typeof services)[number]['name']): string[] {
  const spec = services.find((s) => s.name === name);
  assert.ok(spec);
  return [
    ...callersOf(services, spec.name).map((caller) => grant(appPrincipal(caller), daprInternalPort)),
    ...(spec.public ? [grant(ingressPrincipal, spec.port)] : []),
  ].sort();
}

const workloads: Workload[] = [
  ...services.map((s) => ({
    name: s.name,
    namespace: namespaces.apps,
    type: 'sidecar' as const,
    ports: [s.port, daprInternalPort, ...(s.adminPort ? [s.adminPort] : [])],
    grants: appGrants(s.name),
  })),
  ...storeAccess(services).map((a) => ({
    name: a.store,
    namespace: namespaces.data,
    type: 'sidecar' as const,
    ports: [a.port],
    grants: a.clients.map((c) => grant(appPrincipal(c), a.port)).sort(),
  })),
  { name: 'istio-ingressgateway', namespace: ingressGateway.namespace, type: 'router', ports: [] },
];

/** Every host a DestinationRule of traffic.ts covers: `<app>` and `<app>-invoke`. */
const ruledHosts = services.flatMap((s) => [fqdn(s.name, namespaces.apps), fqdn(invokeServiceName(s.name), namespaces.apps)]);
const expectedLimits = expectedClusterLimits(trafficPolicy);

function expectedInvocationRoutes(app: (typeof services)[number]['name']): RouteSummary[] {
  const cluster = outboundCluster(fqdn(invokeServiceName(app), namespaces.apps), daprInternalPort);
  const bounds = invocationBounds(app);
  const retryOn = trafficSettings.retryOn;
  return [
    {
      name: 'dapr-invocation',
      match: `prefix ${daprInternalInvocationPrefix}`,
      cluster,
      timeoutMs: durationMs(bounds.timeout) ?? Number.NaN,
      retries: { attempts: trafficSettings.attempts, retryOn, perTryTimeoutMs: durationMs(bounds.perTryTimeout) },
    },
    // Envoy's 0 is "no timeout": a proxied gRPC stream is bounded by the caller's deadline only.
    { name: 'grpc-proxy', match: 'prefix /', cluster, timeoutMs: 0, retries: { attempts: trafficSettings.attempts, retryOn } },
  ];
}

function invocationFindings(dump: XdsDump): string[] {
  return services.flatMap((s) => {
    const host = fqdn(invokeServiceName(s.name), namespaces.apps);
    return routeFindings(host, virtualHostRoutes(dump, host), expectedInvocationRoutes(s.name));
  });
}

function expectedEdgeRoutes(): RouteSummary[] {
  const edge = edgeService(services);
  const cluster = outboundCluster(fqdn(edge.name, namespaces.apps), edge.port);
  // One Envoy route per match of the event-stream HTTP route; a header-only match gets prefix /.
  const streams = [
    `prefix / header accept regex ${edgeRoutes.eventStreamAccept}`,
    ...edgeRoutes.eventStreamPaths.map((p) => ('regex' in p ? `regex ${p.regex}` : `exact ${p.exact}`)),
  ].map((match) => ({ name: 'event-streams', match, cluster, timeoutMs: 0 }));
  const bounded = (['orders', 'api', 'shortLinks', 'web'] as const).map((key) => ({
    name: key,
    match: `prefix ${edgeRoutes[key].prefix}`,
    cluster,
    timeoutMs: durationMs(edgeRoutes[key].timeout) ?? Number.NaN,
    retries: {
      attempts: trafficSettings.attempts,
      retryOn: trafficSettings.ingressRetryOn,
      perTryTimeoutMs: durationMs(edgeRoutes[key].perTryTimeout),
    },
  }));
  return [...streams, ...bounded];
}

const edgeFindings = (dump: XdsDump) => routeFindings('edge', virtualHostRoutes(dump, '*'), expectedEdgeRoutes());

describe("istiod's Envoy configuration against the topology (loopback)", function () {
  this.timeout(180_000);
  let cp: ControlPlane;
  let istiod: Istiod | undefined;
  const proxies = new Map<string, XdsProxy>();

  /** Reads until `findings` gives what `want` accepts: istiod applies a change within its debounce. */
  async function readUntil(
    workload: string,
    findings: (dump: XdsDump) => string[],
    want: (f: string[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<{ dump: XdsDump; findings: string[] }> {
    const proxy = proxies.get(workload);
    assert.ok(proxy && istiod, `no proxy for ${workload}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dump = await readXds(istiod.xdsAddress, proxy);
      const found = findings(dump);
      if (want(found) || Date.now() > deadline) return { dump, findings: found };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const settled = (workload: string, findings: (dump: XdsDump) => string[]) =>
    readUntil(workload, findings, (f) => f.length === 0);

  before(async () => {
    assertXdsDumpBuilt();
    cp = await startControlPlane();
    await installCrds(cp.client);
    await cp.client.ok('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespaces.dapr },
    });
    await installStorage(cp.client, 8);
    await addBudgetNode(cp, 'default');
    istiod = await startIstiod(cp);
    // The ingress gateway istioctl install would create, so its proxy is a real pod's.
    const gatewayObjects = istiod.install.filter(
      (o) =>
        ['ServiceAccount', 'Service', 'Deployment'].includes(o.kind) &&
        o.metadata.namespace === ingressGateway.namespace &&
        (o.metadata.name === ingressGateway.service || o.metadata.name === ingressGateway.serviceAccount),
    );
    assert.equal(gatewayObjects.length, 3, 'istioctl renders the ingress gateway');
    const outcomes = await applyAll(cp.client, [...objects, ...(gatewayObjects as K8sObject[])]);
    assert.deepEqual(
      outcomes.filter((o) => o.status >= 300).map((o) => `${o.object}: ${o.message}`),
      [],
    );

    // One pod per workload; no kubelet gives it an IP, so each proxy gets one of TEST-NET-1.
    const deadline = Date.now() + 60_000;
    while (proxies.size < workloads.length) {
      for (const [i, w] of workloads.entries()) {
        if (proxies.has(w.name)) continue;
        const pods = await cp.client.list<PodLike>('v1', 'Pod', w.namespace);
        const selector = w.type === 'router' ? ingressGateway.selector.istio : w.name;
        const pod = pods.find((p) => (w.type === 'router' ? p.metadata.labels?.istio : p.metadata.labels?.app) === selector);
        if (pod) proxies.set(w.name, proxyOf(pod, w.type, `192.0.2.${10 + i}`));
      }
      if (proxies.size < workloads.length && Date.now() > deadline) {
        assert.fail(`no pod for ${workloads.filter((w) => !proxies.has(w.name)).map((w) => w.name)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(async () => {
    await istiod?.stop();
    await cp?.stop();
  });

  for (const w of workloads.filter((w) => w.type === 'sidecar')) {
    it(`${w.name}: inbound demands mTLS and admits exactly the topology's callers`, async () => {
      const { dump, findings } = await settled(w.name, (d) => [
        ...inboundMtlsFindings(d, w.ports),
        ...setFindings(inboundGrants(d), w.grants ?? []),
      ]);
      assert.deepEqual(inboundMtlsFindings(dump, w.ports), []);
      assert.deepEqual(setFindings(inboundGrants(dump), w.grants ?? []), []);
      assert.deepEqual(findings, []);
      summary.push(['xds', w.name, 'inbound mTLS STRICT (TLS + client cert + peer exchange)', `ports ${w.ports.join(', ')}`]);
      const callers = (w.grants ?? []).map((g) => g.replace(/^.*\/sa\//, ''));
      summary.push(['xds', w.name, 'RBAC principals == topology callers', callers.join(', ') || 'nobody']);
    });
  }

  for (const w of workloads.filter((w) => w.namespace === namespaces.apps)) {
    it(`${w.name}: outbound clusters and invocation routes carry the mesh's traffic policy`, async () => {
      const clusters = await settled(w.name, (d) => clusterFindings(d, ruledHosts, expectedLimits));
      assert.deepEqual(clusters.findings, []);
      const routes = await settled(w.name, invocationFindings);
      assert.deepEqual(routes.findings, []);
      summary.push(['xds', w.name, 'outbound clusters == DestinationRule', `${ruledHosts.length} hosts`]);
      summary.push(['xds', w.name, 'invocation routes == traffic.ts', `${services.length} <app>-invoke hosts`]);
    });
  }

  it('ingress gateway: the edge routes, the event-stream route without timeout, the edge cluster policy', async () => {
    const edgeHost = fqdn(edgeService(services).name, namespaces.apps);
    const { dump, findings } = await settled('istio-ingressgateway', (d) => [
      ...edgeFindings(d),
      ...clusterFindings(d, [edgeHost], expectedLimits),
    ]);
    assert.deepEqual(findings, []);
    // RequestAuthentication edge-jwt: Envoy fetches the JWKS over the mesh (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy).
    const edge = edgeService(services);
    assert.deepEqual(jwtProviders(dump), [
      {
        issuer: accessTokens.issuer,
        audiences: [accessTokens.audience],
        jwksUri: jwksUri(services),
        jwksCluster: outboundCluster(edgeHost, edge.port),
        forwardToken: true,
        tokenOptional: true,
      },
    ]);
    const routes = virtualHostRoutes(dump, '*') ?? [];
    summary.push(['xds', 'ingress', 'edge routes == ingress.ts edgeRoutes', routes.map((r) => r.name).join(', ')]);
    summary.push([
      'xds',
      'ingress',
      'event streams: no timeout, no retries',
      `${routes.filter((r) => r.timeoutMs === 0).length} routes`,
    ]);
    summary.push(['xds', 'ingress', 'edge cluster == DestinationRule', edgeHost]);
    summary.push(['xds', 'ingress', 'JWT == RequestAuthentication', `JWKS fetched by Envoy via ${edgeHost}`]);
  });

  describe('negative cases: each comparison reports a drift', () => {
    const original = (kind: string, name: string) => structuredClone(named(objects, kind, name, namespaces.apps));

    /** Applies `changed`, waits for the finding, then restores the manifests' object and waits for it to clear. */
    async function drift(
      workload: string,
      changed: K8sObject,
      restore: () => Promise<unknown>,
      findings: (dump: XdsDump) => string[],
      expected: RegExp,
    ): Promise<string[]> {
      const res = await cp.client.apply(changed as KubeObject);
      assert.ok(res.status < 300, JSON.stringify(res.body));
      try {
        const drifted = await readUntil(workload, findings, (f) => f.some((x) => expected.test(x)));
        assert.ok(
          drifted.findings.some((x) => expected.test(x)),
          `expected a finding matching ${expected}, got ${JSON.stringify(drifted.findings)}`,
        );
        return drifted.findings;
      } finally {
        await restore();
        assert.deepEqual((await settled(workload, findings)).findings, []);
      }
    }
    const reapply = (o: K8sObject) => () => cp.client.apply(o as KubeObject);

    it('an AuthorizationPolicy edge the topology does not have', async () => {
      const extra: K8sObject = {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'payments-from-catalog', namespace: namespaces.apps },
        spec: {
          selector: { matchLabels: { app: 'payments' } },
          action: 'ALLOW',
          rules: [
            {
              from: [{ source: { principals: [appPrincipal('catalog')] } }],
              to: [{ operation: { ports: [String(daprInternalPort)] } }],
            },
          ],
        },
      };
      const path = cp.client.path(extra.apiVersion, extra.kind, namespaces.apps, extra.metadata.name);
      const payments = workloads.find((w) => w.name === 'payments');
      assert.ok(payments?.grants);
      const found = await drift(
        'payments',
        extra,
        () => cp.client.ok('DELETE', path),
        (d) => setFindings(inboundGrants(d), payments.grants ?? []),
        /^extra: cluster\.local\/ns\/meshmart\/sa\/catalog -> 50002$/,
      );
      summary.push(['xds', 'payments', 'RBAC rejects: extra AuthorizationPolicy edge', found.join('; ')]);
    });

    it('PeerAuthentication PERMISSIVE instead of STRICT', async () => {
      const strict = original('PeerAuthentication', 'default');
      const permissive = structuredClone(strict);
      permissive.spec.mtls.mode = 'PERMISSIVE';
      const orders = workloads.find((w) => w.name === 'orders');
      assert.ok(orders);
      const found = await drift(
        'orders',
        permissive,
        reapply(strict),
        (d) => inboundMtlsFindings(d, orders.ports),
        /accepts raw_buffer|does not demand a client certificate/,
      );
      summary.push(['xds', 'orders', 'mTLS rejects: PERMISSIVE', `${found.length} findings, e.g. ${found[0]}`]);
    });

    it('a DestinationRule without outlier detection', async () => {
      const rule = original('DestinationRule', invokeServiceName('orders'));
      const without = structuredClone(rule);
      delete without.spec.trafficPolicy.outlierDetection;
      const found = await drift(
        'gateway',
        without,
        reapply(rule),
        (d) => clusterFindings(d, ruledHosts, expectedLimits),
        /orders-invoke.*consecutive5xxErrors undefined \(want 5\)/,
      );
      summary.push(['xds', 'gateway', 'clusters reject: DestinationRule without outlierDetection', `${found.length} findings`]);
    });

    it('an invocation route with a different timeout', async () => {
      const vs = original('VirtualService', invokeServiceName('orders'));
      const longer = structuredClone(vs);
      longer.spec.http[0].timeout = '20s';
      const found = await drift('gateway', longer, reapply(vs), invocationFindings, /orders-invoke.*"timeoutMs":20000/);
      summary.push(['xds', 'gateway', 'routes reject: invocation timeout 20s', `${found.length} finding`]);
    });

    it('an event-stream edge route given a timeout', async () => {
      const vs = original('VirtualService', 'edge');
      const bounded = structuredClone(vs);
      bounded.spec.http[0].timeout = '60s';
      const found = await drift('istio-ingressgateway', bounded, reapply(vs), edgeFindings, /"timeoutMs":60000/);
      summary.push(['xds', 'ingress', 'edge rejects: event-stream timeout 60s', `${found.length} findings`]);
    });
  });
});
