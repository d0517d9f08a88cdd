/**
 * The trace view's "Open in Jaeger" link works in the cluster: the gateway is given
 * Jaeger's query API (in-cluster) and the address of Jaeger's own UI, and that address is
 * a localhost port `skaffold dev` forwards to the Jaeger Service's UI port, which reaches
 * the port the Jaeger container listens on. Jaeger stays off the public ingress: its UI
 * has no authentication, and traces name users and orders.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../src/repo-paths.ts';
import { type K8sObject, ofKind, synthesize } from './support/synth.ts';

interface PortForward {
  resourceType: string;
  resourceName: string;
  namespace: string;
  port: number;
  localPort: number;
}

function gatewayEnv(objects: K8sObject[]): Map<string, string> {
  const deployment = ofKind(objects, 'Deployment', 'meshmart').find((d) => d.metadata.name === 'gateway');
  const container = deployment?.spec.template.spec.containers.find((c: { name: string }) => c.name === 'gateway');
  return new Map((container?.env ?? []).flatMap((e: { name: string; value?: string }) => (e.value ? [[e.name, e.value]] : [])));
}

/** Every reason the trace view's Jaeger link or query would not reach Jaeger; empty when they do. */
function jaegerLinkProblems(objects: K8sObject[], forwards: PortForward[]): string[] {
  const env = gatewayEnv(objects);
  const uiUrl = env.get('JAEGER_UI_URL');
  const queryUrl = env.get('JAEGER_QUERY_URL');
  if (!uiUrl) return ['the gateway has no JAEGER_UI_URL'];
  if (!queryUrl) return ['the gateway has no JAEGER_QUERY_URL'];
  const ui = new URL(uiUrl);
  if (ui.hostname !== 'localhost' || ui.protocol !== 'http:') return [`JAEGER_UI_URL ${uiUrl} is not a local port-forward`];
  const forward = forwards.find((f) => f.localPort === Number(ui.port));
  if (!forward) return [`nothing in skaffold.yaml forwards localhost:${ui.port}`];
  if (forward.resourceType !== 'service') return [`localhost:${ui.port} forwards a ${forward.resourceType}, not a Service`];
  const service = ofKind(objects, 'Service', forward.namespace).find((s) => s.metadata.name === forward.resourceName);
  if (!service)
    return [`localhost:${ui.port} forwards to ${forward.namespace}/${forward.resourceName}, which is not in the manifests`];
  const servicePort = service.spec.ports.find((p: { port: number }) => p.port === forward.port);
  if (!servicePort) return [`Service ${forward.resourceName} has no port ${forward.port}`];
  const problems: string[] = [];
  const query = new URL(queryUrl);
  const fqdn = `${forward.resourceName}.${forward.namespace}.svc.cluster.local`;
  if (query.hostname !== fqdn || Number(query.port) !== forward.port) {
    problems.push(`JAEGER_QUERY_URL ${queryUrl} is not the Service the UI link forwards to (${fqdn}:${forward.port})`);
  }
  const backend = ofKind(objects, 'Deployment', forward.namespace).find((d) =>
    Object.entries(service.spec.selector ?? {}).every(([k, v]) => d.spec.template.metadata.labels?.[k] === v),
  );
  const containerPorts: Array<{ name?: string; containerPort: number }> =
    backend?.spec.template.spec.containers.flatMap((c: { ports?: unknown[] }) => c.ports ?? []) ?? [];
  const target = servicePort.targetPort ?? servicePort.port;
  if (!containerPorts.some((p) => p.containerPort === target || p.name === target)) {
    problems.push(
      `Service ${forward.resourceName} port ${forward.port} targets ${target}, which no container of its pods listens on`,
    );
  }
  return problems;
}

describe("the trace view's link to Jaeger's UI in the cluster", () => {
  const { objects } = synthesize();
  const skaffold = parse(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8')) as { portForward: PortForward[] };
  const uiForward = (f: PortForward) => f.resourceName === 'jaeger';

  it('gives the gateway a Jaeger UI address that skaffold forwards to the Jaeger UI, and the in-cluster query API', () => {
    assert.deepEqual(jaegerLinkProblems(objects, skaffold.portForward), []);
    assert.equal(gatewayEnv(objects).get('JAEGER_UI_URL'), 'http://localhost:16686');
  });

  it('keeps Jaeger off the public ingress', () => {
    const ingressRoutes = ofKind(objects, 'VirtualService').filter((v) => v.spec.gateways?.some((g: string) => g !== 'mesh'));
    assert.ok(ingressRoutes.length > 0, 'the ingress has routes');
    assert.doesNotMatch(JSON.stringify(ingressRoutes), /jaeger/);
  });

  it('finds a missing forward, a forward to the wrong port, and a gateway without the setting', () => {
    assert.deepEqual(
      jaegerLinkProblems(
        objects,
        skaffold.portForward.filter((f) => !uiForward(f)),
      ),
      ['nothing in skaffold.yaml forwards localhost:16686'],
    );
    const wrongPort = skaffold.portForward.map((f) => (uiForward(f) ? { ...f, port: 4317 } : f));
    assert.match(
      jaegerLinkProblems(objects, wrongPort)[0] ?? '',
      /JAEGER_QUERY_URL .* is not the Service the UI link forwards to/,
    );
    const withoutSetting = structuredClone(objects);
    for (const d of ofKind(withoutSetting, 'Deployment', 'meshmart').filter((o) => o.metadata.name === 'gateway')) {
      for (const c of d.spec.template.spec.containers) c.env = c.env?.filter((e: { name: string }) => e.name !== 'JAEGER_UI_URL');
    }
    assert.deepEqual(jaegerLinkProblems(withoutSetting, skaffold.portForward), ['the gateway has no JAEGER_UI_URL']);
  });
});
