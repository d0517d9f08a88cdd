/**
 * Policy tests over the synthesized manifests. Expectations are derived from the
 * topology here, independently of the generators, and compared with what they produced.
 */
import assert from 'node:assert/strict';
import { appsUsing, componentNames, edges, type ServiceSpec, services } from '@meshmart/kit/topology';
import { daprInternalPort, ingressPrincipal } from '../src/naming.ts';
import { extendedServices } from './support/extended-topology.ts';
import { type K8sObject, named, ofKind, synthesize } from './support/synth.ts';

const appsNs = 'meshmart';
const dataNs = 'meshmart-data';

function probePort(s: ServiceSpec): number {
  return s.appProtocol === 'grpc' ? (s.adminPort as number) : s.port;
}

/** Every "source → destination:port" the ALLOW policies of a namespace admit. */
function allowedPairs(objects: K8sObject[], namespace: string): string[] {
  const pairs: string[] = [];
  for (const policy of ofKind(objects, 'AuthorizationPolicy', namespace)) {
    if (!policy.spec.rules) continue;
    assert.equal(policy.spec.action, 'ALLOW', `${policy.metadata.name} must be an ALLOW policy`);
    const target = policy.spec.selector?.matchLabels?.app;
    assert.ok(target, `${policy.metadata.name} must select one workload`);
    for (const rule of policy.spec.rules) {
      const principals: string[] =
        rule.from?.flatMap((f: { source: { principals?: string[] } }) => f.source.principals ?? []) ?? [];
      const ports: string[] = rule.to?.flatMap((t: { operation: { ports?: string[] } }) => t.operation.ports ?? []) ?? [];
      assert.ok(principals.length > 0 && ports.length > 0, `${policy.metadata.name} has a rule without principals or ports`);
      assert.equal(rule.when, undefined);
      for (const p of principals) {
        const source = p === ingressPrincipal ? 'ingress' : /^cluster\.local\/ns\/meshmart\/sa\/([a-z0-9-]+)$/.exec(p)?.[1];
        assert.ok(source, `unexpected principal ${p}`);
        for (const port of ports) pairs.push(`${source} -> ${target}:${port}`);
      }
    }
  }
  return pairs.sort();
}

function expectedAppPairs(topology: readonly ServiceSpec[], callEdges: Array<{ from: string; to: string }>): string[] {
  // One caller may reach one callee in several ways (gRPC and HTTP); the policy is per pair.
  const pairs = new Set([
    ...callEdges.map((e) => `${e.from} -> ${e.to}:${daprInternalPort}`),
    ...topology.filter((s) => s.public).map((s) => `ingress -> ${s.name}:${s.port}`),
  ]);
  return [...pairs].sort();
}

function expectedDataPairs(topology: readonly ServiceSpec[]): string[] {
  const pairs: string[] = [];
  for (const s of topology) {
    if (s.postgresDatabase) pairs.push(`${s.name} -> postgres:5432`);
    if (s.mongoDatabase) pairs.push(`${s.name} -> mongo:27017`);
    if (s.components.includes('statestore') || s.components.includes('configstore')) pairs.push(`${s.name} -> redis:6379`);
    if (s.components.includes('pubsub')) pairs.push(`${s.name} -> rabbitmq:5672`);
    if (s.components.includes('smtp')) pairs.push(`${s.name} -> mailpit:1025`);
  }
  return pairs.sort();
}

describe('cluster policies', () => {
  const { objects } = synthesize();
  const extended = synthesize({ services: extendedServices }).objects;

  describe('AuthorizationPolicies', () => {
    it('deny everything by default in the mesh namespaces', () => {
      for (const ns of [appsNs, dataNs]) {
        const policy = named(objects, 'AuthorizationPolicy', 'allow-nothing', ns);
        assert.deepEqual(policy.spec ?? {}, {});
      }
    });

    it("allow exactly the topology's call graph and ingress, by service account", () => {
      assert.deepEqual(allowedPairs(objects, appsNs), expectedAppPairs(services, edges()));
    });

    it('allow exactly the data-store clients the topology implies', () => {
      assert.deepEqual(allowedPairs(objects, dataNs), expectedDataPairs(services));
    });

    it('keep matching the call graph for a larger topology', () => {
      const extendedEdges = extendedServices.flatMap((s) => s.calls.map((c) => ({ from: s.name, to: c.to })));
      assert.deepEqual(allowedPairs(extended, appsNs), expectedAppPairs(extendedServices, extendedEdges));
      assert.deepEqual(allowedPairs(extended, dataNs), expectedDataPairs(extendedServices));
    });

    it('are backed by STRICT mTLS', () => {
      for (const ns of [appsNs, dataNs]) {
        assert.equal(named(objects, 'PeerAuthentication', 'default', ns).spec.mtls.mode, 'STRICT');
      }
    });
  });

  describe('Deployments', () => {
    for (const [label, topology, objs] of [
      ['topology', services, objects],
      ['extended topology', extendedServices, extended],
    ] as const) {
      it(`exist exactly for the services (${label})`, () => {
        assert.deepEqual(
          ofKind(objs, 'Deployment', appsNs)
            .map((d) => d.metadata.name)
            .sort(),
          topology.map((s) => s.name).sort(),
        );
      });

      it(`carry Dapr annotations that match the topology (${label})`, () => {
        for (const s of topology) {
          const a = named(objs, 'Deployment', s.name, appsNs).spec.template.metadata.annotations;
          assert.equal(a['dapr.io/enabled'], 'true');
          assert.equal(a['dapr.io/app-id'], s.name);
          assert.equal(a['dapr.io/app-port'], String(s.port));
          assert.equal(a['dapr.io/app-protocol'], s.appProtocol);
          assert.equal(a['dapr.io/config'], 'meshmart');
          assert.equal(a['dapr.io/enable-metrics'], 'true');
          assert.equal(a['dapr.io/log-as-json'], 'true');
          assert.equal(a['dapr.io/env'], 'GOMAXPROCS=1', `${s.name}: one Go scheduler thread per daprd, as locally`);
          for (const key of ['cpu-request', 'cpu-limit', 'memory-request', 'memory-limit']) {
            assert.match(a[`dapr.io/sidecar-${key}`], /^\d+(m|Mi|Gi)?$/, `${s.name} sidecar-${key}`);
          }
          for (const key of ['dapr.io/api-token-secret', 'dapr.io/app-token-secret']) {
            const secret = named(objs, 'Secret', a[key], appsNs);
            assert.ok(secret.stringData.token, `${a[key]} has a token`);
          }
          assert.equal(a['sidecar.istio.io/nativeSidecar'], 'true');
          assert.equal(a['prometheus.io/port'], String(probePort(s)));
        }
      });

      it(`have probes, requests and limits on every container (${label})`, () => {
        for (const s of topology) {
          const [container, ...rest] = named(objs, 'Deployment', s.name, appsNs).spec.template.spec.containers;
          assert.equal(rest.length, 0);
          const port = probePort(s);
          assert.deepEqual([container.livenessProbe.httpGet.path, container.livenessProbe.httpGet.port], ['/healthz', port]);
          assert.deepEqual([container.readinessProbe.httpGet.path, container.readinessProbe.httpGet.port], ['/readyz', port]);
          assert.equal(container.startupProbe.httpGet.port, port);
          for (const kind of ['requests', 'limits']) {
            assert.ok(container.resources[kind].cpu && container.resources[kind].memory, `${s.name} ${kind}`);
          }
        }
      });
    }

    it('run as non-root with a read-only root filesystem and no capabilities', () => {
      for (const d of [...ofKind(extended, 'Deployment'), ...ofKind(extended, 'StatefulSet')]) {
        const pod = d.spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true, d.metadata.name);
        assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', d.metadata.name);
        for (const c of pod.containers) {
          assert.equal(c.securityContext.runAsNonRoot, true, `${d.metadata.name}/${c.name}`);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${d.metadata.name}/${c.name}`);
          assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], `${d.metadata.name}/${c.name}`);
          assert.ok(c.resources.limits.cpu && c.resources.limits.memory, `${d.metadata.name}/${c.name} limits`);
          // Only the two stores whose images write outside their volumes are exempt (docs/cluster.md).
          if (d.kind === 'Deployment' || !['mongo', 'rabbitmq'].includes(c.name)) {
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${d.metadata.name}/${c.name}`);
          }
        }
      }
    });

    it('get a PodDisruptionBudget each and an HPA exactly for the services that scale out', () => {
      for (const s of extendedServices) named(extended, 'PodDisruptionBudget', s.name, appsNs);
      assert.deepEqual(
        ofKind(extended, 'HorizontalPodAutoscaler', appsNs)
          .map((h) => h.spec.scaleTargetRef.name)
          .sort(),
        extendedServices
          .filter((s) => s.scalesOut)
          .map((s) => s.name)
          .sort(),
      );
    });
  });

  describe('Istio traffic policy', () => {
    it('gives every service a DestinationRule with outlier detection on both of its hosts', () => {
      for (const s of extendedServices) {
        for (const host of [s.name, `${s.name}-invoke`]) {
          const rule = named(extended, 'DestinationRule', host, appsNs);
          assert.equal(rule.spec.host, `${host}.meshmart.svc.cluster.local`);
          const od = rule.spec.trafficPolicy.outlierDetection;
          assert.ok(od.consecutive5xxErrors > 0 && od.baseEjectionTime && od.maxEjectionPercent <= 100, host);
          assert.ok(rule.spec.trafficPolicy.connectionPool.http.http2MaxRequests > 0, host);
        }
      }
    });

    it('routes invocation through a ClusterIP Service (not headless) with bounded retries and timeouts', () => {
      for (const s of extendedServices) {
        const svc = named(extended, 'Service', `${s.name}-invoke`, appsNs);
        assert.notEqual(svc.spec.clusterIP, 'None');
        assert.deepEqual(
          svc.spec.ports.map((p: { port: number; name: string }) => [p.port, p.name]),
          [[daprInternalPort, 'grpc-dapr-invoke']],
        );
        const vs = named(extended, 'VirtualService', `${s.name}-invoke`, appsNs);
        for (const route of vs.spec.http) assert.ok(route.retries.attempts <= 3, `${s.name} ${route.name}`);
        assert.ok(
          vs.spec.http.some((r: { timeout?: string }) => r.timeout),
          `${s.name} has a bounded invocation route`,
        );
      }
      const config = named(objects, 'Configuration', 'meshmart', appsNs);
      assert.match(config.spec.nameResolution.configuration.template, /^\{\{\.ID\}\}-invoke\.\{\{\.Namespace\}\}\.svc\./);
    });

    it('leaves retries of invocation to Istio alone: Dapr retries 0 times for every invoked app', () => {
      const resiliency = named(extended, 'Resiliency', 'meshmart', appsNs);
      const invoked = [...new Set(extendedServices.flatMap((s) => s.calls.map((c) => c.to)))].sort();
      assert.deepEqual(Object.keys(resiliency.spec.targets.apps).sort(), invoked);
      for (const app of invoked) {
        const policy = resiliency.spec.policies.retries[resiliency.spec.targets.apps[app].retry];
        assert.equal(policy.maxRetries, 0, app);
      }
      for (const [name, target] of Object.entries(resiliency.spec.targets.components) as Array<
        [string, { outbound: { retry?: string } }]
      >) {
        if (target.outbound.retry) assert.ok(resiliency.spec.policies.retries[target.outbound.retry].maxRetries > 0, name);
      }
    });
  });

  describe('Dapr', () => {
    it('scopes each component to exactly the apps that list it, and creates none nobody uses', () => {
      const components = ofKind(objects, 'Component', appsNs);
      for (const name of componentNames) {
        const component = components.find((c) => c.metadata.name === name);
        const users = appsUsing(name);
        if (users.length === 0) assert.equal(component, undefined, name);
        else assert.deepEqual(component?.scopes, users, name);
      }
    });

    it('turns Dapr mTLS off and sends traces to the collector', () => {
      const config = named(objects, 'Configuration', 'meshmart', appsNs);
      assert.equal(config.spec.mtls.enabled, false);
      assert.equal(config.spec.tracing.otel.endpointAddress, 'otel-collector.meshmart-observability.svc.cluster.local:4317');
    });

    it('keeps HTTP metrics without the path label, which daprd 1.17 still adds unless told', () => {
      const config = named(objects, 'Configuration', 'meshmart', appsNs);
      assert.deepEqual(config.spec.metric, { enabled: true, http: { increasedCardinality: false } });
    });
  });

  describe('Secrets', () => {
    const placeholder = /^(change.?me|password|secret|admin|todo|replace.?me|example|test|dev|x+|<.*>|\$\{.*\})$/i;

    it('hold no placeholder and no value that survives a change of seed', () => {
      const a = synthesize({ services: extendedServices, seed: Buffer.alloc(48, 1) }).objects;
      const b = synthesize({ services: extendedServices, seed: Buffer.alloc(48, 2) }).objects;
      const values = (objs: K8sObject[]) =>
        new Map(
          ofKind(objs, 'Secret').flatMap((s) =>
            Object.entries((s.stringData ?? {}) as Record<string, string>).map(([k, v]) => [
              `${s.metadata.namespace}/${s.metadata.name}/${k}`,
              v,
            ]),
          ),
        );
      const [va, vb] = [values(a), values(b)];
      assert.ok(va.size > 10);
      for (const [key, value] of va) {
        assert.doesNotMatch(value, placeholder, key);
        // Usernames are not secrets; every other value must come from the per-checkout seed.
        if (key.endsWith('/username')) continue;
        assert.notEqual(value, vb.get(key), `${key} is the same for every checkout`);
      }
    });

    it('are identical across synths with the same seed, so redeploys keep working credentials', () => {
      const seed = Buffer.alloc(48, 7);
      const first = ofKind(synthesize({ seed }).objects, 'Secret');
      const second = ofKind(synthesize({ seed }).objects, 'Secret');
      assert.deepEqual(first, second);
    });
  });

  describe('observability', () => {
    it('scrapes app and Envoy metrics through the merged endpoint and daprd by its port name', () => {
      const config = named(objects, 'ConfigMap', 'prometheus-config', 'meshmart-observability').data['prometheus.yml'];
      assert.match(config, /job_name: mesh-pods/);
      assert.match(config, /job_name: daprd[\s\S]*regex: dapr-metrics/);
    });

    it('provisions every dashboard file into Grafana', async () => {
      const { readDashboards } = await import('../src/dashboards/dashboard-files.ts');
      const configMap = named(objects, 'ConfigMap', 'grafana-dashboards', 'meshmart-observability');
      assert.deepEqual(Object.keys(configMap.data).sort(), [...readDashboards().keys()].sort());
    });
  });
});
