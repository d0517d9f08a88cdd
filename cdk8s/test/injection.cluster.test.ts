/**
 * The real injection webhooks on the loopback control plane: istiod (pilot-discovery,
 * configured from `istioctl manifest generate -f istio/istio-operator.yaml`) and Dapr's
 * sidecar injector (configured like scripts/kind-up.sh's Helm install) mutate the pods
 * the real controllers create from the manifests of each size, PodSecurity "baseline"
 * admits them and the scheduler binds them within the node budget. Then the real
 * `istioctl analyze` reads the whole cluster. Expectations come from the topology,
 * the sizing and the annotation helpers, not from lists kept here.
 * One stand-in: Dapr's Sentry. The injector takes its serving certificate from Sentry
 * even with mTLS off; a loopback stand-in signs that one request with the test CA
 * (tools/stack/src/control-plane/dapr-injector.ts). Nothing else Sentry does is used.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { blobMountPath } from '@meshmart/kit/deployment/cluster-target';
import { blobVolumeName, daprConfigName, SIDECAR_PROBE_PATH } from '@meshmart/kit/deployment/sidecar';
import { services } from '@meshmart/kit/topology';
import {
  type ControlPlane,
  type DaprInjector,
  type Istiod,
  type KubeObject,
  startControlPlane,
  startDaprInjector,
  startIstiod,
} from '@meshmart/stack';
import { clusterServicePlan } from '../src/cluster-plan.ts';
import { appApiTokenSecret, daprApiTokenSecret, daprMetricsPort } from '../src/naming.ts';
import { namespaces, type SizeName, sizings } from '../src/settings.ts';
import {
  addBudgetNode,
  applyAll,
  cpuOf,
  installCrds,
  installStorage,
  memOfGi,
  waitForBoundPods,
} from './support/loopback-cluster.ts';
import { type K8sObject, synthesize } from './support/synth.ts';
import { cdk8sDir } from './support/validate.ts';

const run = promisify(execFile);
const fixedSeed = Buffer.alloc(48, 7);
const istioctl = path.join(cdk8sDir, '..', '.tools', 'bin', 'istioctl');

/**
 * Warnings `istioctl analyze` gives on these manifests that are kept, each with why.
 * Any other warning fails the check, and so does every error.
 */
const keptAnalyzerWarnings: Array<{ code: string; resource: RegExp; why: string }> = [];

const summaries = new Map<SizeName, string[][]>();
after(() => {
  for (const [size, summary] of summaries) {
    if (summary.length === 0) continue;
    const widths = summary[0]?.map((_, i) => Math.max(...summary.map((row) => (row[i] ?? '').length))) ?? [];
    const lines = summary.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
    process.stdout.write(`\n  injection check (${size} size)\n${lines.map((l) => `    ${l}`).join('\n')}\n\n`);
  }
});

interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  restartPolicy?: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { capabilities?: { add?: string[]; drop?: string[] }; privileged?: boolean };
}

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { nodeName?: string; containers: Container[]; initContainers?: Container[] };
}

interface AnalyzerMessage {
  code: string;
  level: 'Error' | 'Warning' | 'Info';
  origin: string;
  message: string;
}

/**
 * What the scheduler reserves for a pod: its containers plus the native sidecars, or
 * more if a plain init container (with the sidecars started before it) needs more.
 */
function podRequest(pod: Pod, of: (c: Container) => number): number {
  let sidecars = 0;
  let peak = 0;
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sidecars += of(c);
    else peak = Math.max(peak, sidecars + of(c));
  }
  return Math.max(peak, sidecars + pod.spec.containers.reduce((n, c) => n + of(c), 0));
}

const argAfter = (args: string[] | undefined, flag: string) => {
  const i = args?.indexOf(flag) ?? -1;
  return i >= 0 ? args?.[i + 1] : undefined;
};
const allContainers = (pod: Pod) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
const podName = (pod: Pod) => `${pod.metadata.namespace}/${pod.metadata.name}`;

/** Pods a namespace's workloads ask for: replicas, or the HPA's minimum where one scales the workload. */
function expectedPods(objects: K8sObject[], namespace: string): number {
  const hpaMin = new Map(
    objects
      .filter((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.namespace === namespace)
      .map((o) => [`${o.spec.scaleTargetRef.kind}/${o.spec.scaleTargetRef.name}`, o.spec.minReplicas ?? 1] as const),
  );
  return objects
    .filter((o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.namespace === namespace)
    .reduce((n, o) => n + Math.max(o.spec.replicas ?? 1, hpaMin.get(`${o.kind}/${o.metadata.name}`) ?? 0), 0);
}

/**
 * What `istioctl install` leaves besides istiod: the ingress gateway the `edge` Gateway
 * selects (its Deployment, Service, account and SDS role), from the same rendering.
 */
async function installIngressGateway(cp: ControlPlane, install: KubeObject[]): Promise<void> {
  const parts = install.filter(
    (o) => (o.metadata.labels as Record<string, string> | undefined)?.['operator.istio.io/component'] === 'IngressGateways',
  );
  assert.ok(parts.some((o) => o.kind === 'Deployment'));
  const outcomes = await applyAll(cp.client, parts as K8sObject[]);
  assert.deepEqual(
    outcomes.filter((o) => o.status >= 300).map((o) => `${o.object}: ${o.message}`),
    [],
  );
}

async function analyze(kubeconfig: string): Promise<AnalyzerMessage[]> {
  // Exit code 79 means "errors found": the JSON on stdout is what is judged.
  const result = await run(istioctl, ['analyze', '-A', '--kubeconfig', kubeconfig, '-o', 'json', '--timeout', '60s'], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
    if (err.code === 79 && err.stdout) return { stdout: err.stdout, stderr: err.stderr ?? '' };
    throw new Error(`istioctl analyze failed (${err.code}): ${err.stderr}`);
  });
  const text = result.stdout.trim();
  return text === '' ? [] : (JSON.parse(text) as AnalyzerMessage[]);
}

/** The analyzer check: every error, and every warning not kept (with its reason) above. */
function analyzerProblems(messages: AnalyzerMessage[]): string[] {
  return messages
    .filter(
      (m) =>
        m.level === 'Error' ||
        (m.level === 'Warning' && !keptAnalyzerWarnings.some((k) => k.code === m.code && k.resource.test(m.origin))),
    )
    .map((m) => `${m.level} ${m.code} ${m.origin}: ${m.message}`);
}

for (const size of ['default', 'small'] as const) {
  const sizing = sizings[size];
  const objects = synthesize({ size, seed: fixedSeed }).objects;
  const summary: string[][] = [];
  summaries.set(size, summary);

  describe(`injection webhooks on a real control plane (loopback, ${size} size)`, function () {
    this.timeout(240_000);
    let cp: ControlPlane;
    let istiod: Istiod | undefined;
    let dapr: DaprInjector | undefined;
    let allocatable: { cpu: number; memoryGi: number };
    let pods: Pod[] = [];
    const appPods = (service: string) =>
      pods.filter((p) => p.metadata.namespace === namespaces.apps && p.metadata.labels?.app === service);

    before(async () => {
      cp = await startControlPlane();
      await installCrds(cp.client);
      for (const name of [namespaces.istio, namespaces.dapr]) {
        await cp.client.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      }
      await installStorage(cp.client, 8);
      allocatable = await addBudgetNode(cp, size);
      istiod = await startIstiod(cp);
      dapr = await startDaprInjector(cp);
      await installIngressGateway(cp, istiod.install);

      const outcomes = await applyAll(cp.client, objects);
      const rejected = outcomes.filter((o) => o.status >= 300).map((o) => `${o.object}: ${o.message}`);
      assert.deepEqual(rejected, []);

      const want = [namespaces.apps, namespaces.data, namespaces.observability].reduce(
        (n, ns) => n + expectedPods(objects, ns),
        0,
      );
      pods = await waitForBoundPods<Pod>(cp.client, want);
    });

    after(async () => {
      await dapr?.stop();
      await istiod?.stop();
      await cp?.stop();
    });

    it('gives every app pod its app container, daprd and istio-proxy as a native sidecar', () => {
      for (const spec of services) {
        const mine = appPods(spec.name);
        assert.ok(mine.length > 0, `no pods for ${spec.name}`);
        for (const pod of mine) {
          assert.deepEqual(
            pod.spec.containers.map((c) => c.name).sort(),
            [spec.name, 'daprd'].sort(),
            `${podName(pod)} containers`,
          );
          const proxy = pod.spec.initContainers?.find((c) => c.name === 'istio-proxy');
          assert.equal(proxy?.restartPolicy, 'Always', `${podName(pod)}: istio-proxy is not a native sidecar`);
        }
        const pod = mine[0] as Pod;
        summary.push([
          `meshmart/${spec.name}`,
          `${mine.length} pod${mine.length > 1 ? 's' : ''}`,
          `containers ${pod.spec.containers.map((c) => c.name).join(', ')}`,
          `init ${(pod.spec.initContainers ?? []).map((c) => `${c.name}${c.restartPolicy === 'Always' ? ' (sidecar)' : ''}`).join(', ')}`,
        ]);
      }
      const unexpected = pods.filter(
        (p) => p.metadata.namespace === namespaces.apps && !services.some((s) => s.name === p.metadata.labels?.app),
      );
      assert.deepEqual(unexpected.map(podName), []);
    });

    it('injects daprd with the app id, port, protocol, config, tokens, metrics port and sized resources', () => {
      for (const spec of services) {
        for (const pod of appPods(spec.name)) {
          const daprd = pod.spec.containers.find((c) => c.name === 'daprd');
          assert.ok(daprd, podName(pod));
          const where = `${podName(pod)} daprd`;
          assert.equal(argAfter(daprd.args, '--app-id'), spec.name, where);
          assert.equal(argAfter(daprd.args, '--app-port'), String(spec.port), where);
          assert.equal(argAfter(daprd.args, '--app-protocol'), spec.appProtocol, where);
          assert.equal(argAfter(daprd.args, '--config'), daprConfigName, where);
          assert.equal(argAfter(daprd.args, '--metrics-port'), String(daprMetricsPort), where);
          assert.ok(daprd.args?.includes('--enable-metrics'), where);
          assert.equal(argAfter(daprd.args, '--enable-mtls'), undefined, `${where}: Dapr mTLS is off, Istio owns it`);
          const secretOf = (name: string) => daprd.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
          assert.deepEqual(secretOf('DAPR_API_TOKEN'), { name: daprApiTokenSecret(spec.name), key: 'token' }, where);
          assert.deepEqual(secretOf('APP_API_TOKEN'), { name: appApiTokenSecret(spec.name), key: 'token' }, where);
          assert.equal(daprd.env?.find((e) => e.name === 'GOMAXPROCS')?.value, '1', `${where}: GOMAXPROCS from dapr.io/env`);
          assert.deepEqual(
            daprd.resources,
            {
              requests: { cpu: sizing.daprd.cpuRequest, memory: sizing.daprd.memoryRequest },
              limits: { cpu: sizing.daprd.cpuLimit, memory: sizing.daprd.memoryLimit },
            },
            where,
          );
          assert.deepEqual(daprd.securityContext?.capabilities?.drop, ['ALL'], where);
          assert.ok(daprd.args?.includes('--log-as-json'), where);
          assert.equal(
            argAfter(daprd.args, '--app-health-check-path'),
            spec.appProtocol === 'http' ? SIDECAR_PROBE_PATH : undefined,
            `${where}: app health checks are for HTTP apps only`,
          );
          if (spec.appProtocol === 'http') {
            assert.deepEqual(
              [
                argAfter(daprd.args, '--app-health-probe-interval'),
                argAfter(daprd.args, '--app-health-probe-timeout'),
                argAfter(daprd.args, '--app-health-threshold'),
              ],
              ['1', '1000', '3'],
              `${where}: daprd stops pulling deliveries within three seconds of the app going down, and a slow /healthz is not a miss`,
            );
          }
          assert.deepEqual(
            (daprd.volumeMounts ?? []).filter((m) => m.name === blobVolumeName).map((m) => m.mountPath),
            spec.components.includes('blobstore') ? [blobMountPath] : [],
            `${where}: blob volume`,
          );
        }
      }
    });

    it('gives daprd no placement address and an empty scheduler address (both disabled)', () => {
      const seen = new Set<string>();
      for (const pod of pods.filter((p) => p.metadata.namespace === namespaces.apps)) {
        const daprd = pod.spec.containers.find((c) => c.name === 'daprd');
        assert.ok(daprd, podName(pod));
        assert.equal(argAfter(daprd.args, '--placement-host-address'), undefined, podName(pod));
        assert.equal(argAfter(daprd.args, '--actors-service'), undefined, podName(pod));
        // daprd parses the flag as a list: "" is an empty list, and no scheduler client starts.
        assert.equal(argAfter(daprd.args, '--scheduler-host-address'), '', podName(pod));
        seen.add(
          (daprd.args ?? [])
            .map((a) => (a === '' ? '""' : a))
            .filter((a, i, all) => /placement|scheduler|actors/.test(a) || /placement|scheduler/.test(all[i - 1] ?? ''))
            .join(' '),
        );
      }
      summary.push(['daprd', 'placement / scheduler', [...seen].join(' | '), 'no placement, scheduler disabled']);
    });

    it('runs istio-proxy with the sizing of the istio annotations, and no istio-init (CNI)', () => {
      for (const pod of pods.filter((p) => p.metadata.namespace !== namespaces.observability)) {
        const proxy = pod.spec.initContainers?.find((c) => c.name === 'istio-proxy');
        assert.ok(proxy, `${podName(pod)} has no istio-proxy`);
        assert.deepEqual(
          proxy.resources,
          {
            requests: { cpu: sizing.istioProxy.cpuRequest, memory: sizing.istioProxy.memoryRequest },
            limits: { cpu: sizing.istioProxy.cpuLimit, memory: sizing.istioProxy.memoryLimit },
          },
          podName(pod),
        );
        assert.equal(
          allContainers(pod).find((c) => c.name === 'istio-init'),
          undefined,
          `${podName(pod)} has istio-init`,
        );
        const added = allContainers(pod).flatMap((c) =>
          (c.securityContext?.capabilities?.add ?? []).map((cap) => `${c.name}:${cap}`),
        );
        assert.deepEqual(added, [], podName(pod));
        assert.ok(!allContainers(pod).some((c) => c.securityContext?.privileged), podName(pod));
      }
    });

    it("leaves what the Prometheus jobs look for: the merged istio-agent endpoint and daprd's dapr-metrics port", () => {
      for (const spec of services) {
        for (const pod of appPods(spec.name)) {
          const where = podName(pod);
          // Istio's merge moves the app's prometheus.io annotations into the agent's env.
          const annotations = pod.metadata.annotations ?? {};
          assert.equal(annotations['prometheus.io/port'], '15020', where);
          assert.equal(annotations['prometheus.io/path'], '/stats/prometheus', where);
          const proxy = pod.spec.initContainers?.find((c) => c.name === 'istio-proxy');
          const merged = proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value;
          assert.deepEqual(
            JSON.parse(merged ?? '{}'),
            { scrape: 'true', path: '/metrics', port: String(clusterServicePlan(services, spec.name).ports.probe) },
            `${where}: the app's metrics behind the merged endpoint`,
          );
          const daprd = pod.spec.containers.find((c) => c.name === 'daprd');
          assert.deepEqual(
            daprd?.ports?.filter((p) => p.name === 'dapr-metrics').map((p) => p.containerPort),
            [daprMetricsPort],
            where,
          );
        }
      }
    });

    it('gives data-store pods istio-proxy only, and observability pods no sidecar', () => {
      const data = pods.filter((p) => p.metadata.namespace === namespaces.data);
      const observability = pods.filter((p) => p.metadata.namespace === namespaces.observability);
      assert.equal(data.length, expectedPods(objects, namespaces.data));
      assert.equal(observability.length, expectedPods(objects, namespaces.observability));
      for (const pod of data) {
        const names = allContainers(pod).map((c) => c.name);
        assert.ok(names.includes('istio-proxy'), podName(pod));
        assert.ok(!names.includes('daprd'), podName(pod));
      }
      for (const pod of observability) {
        const names = allContainers(pod).map((c) => c.name);
        assert.ok(!names.some((n) => n === 'istio-proxy' || n === 'daprd'), podName(pod));
      }
      const describe = (list: Pod[]) =>
        [...new Set(list.map((p) => p.metadata.labels?.app ?? p.metadata.name))].sort().join(', ');
      summary.push([namespaces.data, `${data.length} pods`, describe(data), 'istio-proxy only']);
      summary.push([namespaces.observability, `${observability.length} pods`, describe(observability), 'no sidecars']);
    });

    it('admits every injected pod under PodSecurity "baseline": no FailedCreate', async () => {
      for (const ns of [namespaces.apps, namespaces.data]) {
        const namespace = await cp.client.ok<KubeObject & { metadata: { labels?: Record<string, string> } }>(
          'GET',
          `/api/v1/namespaces/${ns}`,
        );
        assert.equal(namespace.body.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'baseline', ns);
      }
      const events = await cp.client.list<{
        reason: string;
        message: string;
        involvedObject: { namespace?: string; name: string };
      }>('v1', 'Event', '*');
      const failed = events
        .filter((e) => e.reason === 'FailedCreate' && e.involvedObject.namespace?.startsWith('meshmart'))
        .map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.message}`);
      assert.deepEqual(failed, []);
    });

    it('leaves the injected pods within PodSecurity "restricted" too (dry run of the stricter label)', async () => {
      // PodSecurity answers a change of a namespace's enforce level with a warning per
      // existing pod that would violate it; dryRun keeps the namespace as it is.
      const wouldViolate = async (ns: string) =>
        (
          await cp.client.ok(
            'PATCH',
            `/api/v1/namespaces/${ns}?dryRun=All`,
            { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
            'application/merge-patch+json',
          )
        ).warnings;
      for (const ns of [namespaces.apps, namespaces.data]) {
        assert.deepEqual(await wouldViolate(ns), [], ns);
        summary.push([ns, 'PodSecurity', 'baseline enforced', 'restricted would admit every injected pod too']);
      }
      // The control: istioctl's ingress gateway pod sets no runAsNonRoot or seccomp profile.
      const gateway = await wouldViolate(namespaces.istio);
      assert.ok(
        gateway.some((w) => /istio-ingressgateway/.test(w)),
        `no restricted warning for the ingress gateway: ${gateway.join(' | ')}`,
      );
    });

    it('binds every pod on the node within the budget, sidecars included', () => {
      assert.ok(pods.every((p) => p.spec.nodeName === `kind-${size}`));
      const cpu = pods.reduce((n, p) => n + podRequest(p, (c) => cpuOf(c.resources?.requests?.cpu)), 0);
      const memory = pods.reduce((n, p) => n + podRequest(p, (c) => memOfGi(c.resources?.requests?.memory)), 0);
      const sidecar = (name: string, of: (c: Container) => number) =>
        pods.reduce(
          (n, p) =>
            n +
            allContainers(p)
              .filter((c) => c.name === name)
              .reduce((m, c) => m + of(c), 0),
          0,
        );
      const sidecarCpu =
        sidecar('daprd', (c) => cpuOf(c.resources?.requests?.cpu)) +
        sidecar('istio-proxy', (c) => cpuOf(c.resources?.requests?.cpu));
      const sidecarMem =
        sidecar('daprd', (c) => memOfGi(c.resources?.requests?.memory)) +
        sidecar('istio-proxy', (c) => memOfGi(c.resources?.requests?.memory));
      assert.ok(cpu <= allocatable.cpu, `${cpu} CPU requested of ${allocatable.cpu}`);
      assert.ok(memory <= allocatable.memoryGi, `${memory} GiB requested of ${allocatable.memoryGi}`);
      summary.push([
        'scheduler',
        `${pods.length} pods bound`,
        `requests ${cpu.toFixed(2)} CPU / ${memory.toFixed(2)} GiB of ${allocatable.cpu} / ${allocatable.memoryGi.toFixed(1)} ` +
          `(sidecars ${sidecarCpu.toFixed(2)} CPU / ${sidecarMem.toFixed(2)} GiB)`,
        `headroom ${(allocatable.cpu - cpu).toFixed(2)} CPU / ${(allocatable.memoryGi - memory).toFixed(2)} GiB`,
      ]);
    });

    it('passes istioctl analyze over the whole cluster: no error, no warning not kept', async () => {
      const messages = await analyze(cp.kubeconfig);
      const byLevel = (level: string) => messages.filter((m) => m.level === level).length;
      summary.push([
        'istioctl analyze -A',
        `${messages.length} messages`,
        `${byLevel('Error')} errors, ${byLevel('Warning')} warnings, ${byLevel('Info')} info`,
        messages.length === 0 ? 'clean' : 'listed below',
      ]);
      for (const m of messages) summary.push(['', `${m.level} ${m.code}`, m.origin, m.message.slice(0, 110)]);
      assert.deepEqual(analyzerProblems(messages), []);
    });

    it('keeps istiod and the Dapr injector on loopback: every socket they hold is 127.0.0.1', async () => {
      const { stdout } = await run('ss', ['-tanpH']);
      for (const [name, child] of [
        ['istiod', istiod?.child],
        ['dapr-injector', dapr?.child],
      ] as const) {
        assert.ok(child?.running, `${name} is not running`);
        const sockets = stdout.split('\n').filter((l) => l.includes(`pid=${child.pid},`));
        assert.ok(sockets.length > 0, `${name} holds no TCP socket`);
        const elsewhere = sockets.filter((l) => {
          const [, , , local = '', peer = ''] = l.trim().split(/\s+/);
          const loopback = (a: string) => /^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):/.test(a);
          return !loopback(local) || !(loopback(peer) || /^(0\.0\.0\.0|\*|\[::\]):\*$/.test(peer));
        });
        assert.deepEqual(elsewhere, [], `${name} sockets off loopback`);
        const listening = sockets.filter((l) => l.startsWith('LISTEN')).length;
        summary.push([name, 'sockets', `${sockets.length} (${listening} listening)`, 'all on 127.0.0.1']);
      }
      summary.push(['dapr-injector', 'serving certificate', `${dapr?.signed()} signed by the Sentry stand-in`, 'loopback CA']);
    });

    // One size is enough to show each check can fail.
    if (size === 'default') {
      describe('negative cases: each check catches what it is for', () => {
        it('PodSecurity rejects a pod that adds NET_ADMIN in the apps namespace', async () => {
          const res = await cp.client.request('POST', `/api/v1/namespaces/${namespaces.apps}/pods`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'net-admin', annotations: { 'sidecar.istio.io/inject': 'false' } },
            spec: {
              containers: [{ name: 'app', image: 'busybox', securityContext: { capabilities: { add: ['NET_ADMIN'] } } }],
            },
          });
          assert.equal(res.status, 403, JSON.stringify(res.body));
          assert.match((res.body as { message?: string }).message ?? '', /violates PodSecurity "baseline:latest".*NET_ADMIN/);
        });

        it('a Deployment without the Dapr annotations gets istio-proxy but no daprd', async () => {
          const template = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === namespaces.apps);
          assert.ok(template);
          const deployment = structuredClone(template) as K8sObject;
          const name = 'no-dapr';
          deployment.metadata = { name, namespace: namespaces.apps, labels: { app: name } };
          deployment.spec.replicas = 1;
          deployment.spec.selector = { matchLabels: { app: name } };
          deployment.spec.template.metadata.labels = { app: name };
          deployment.spec.template.metadata.annotations = Object.fromEntries(
            Object.entries(deployment.spec.template.metadata.annotations as Record<string, string>).filter(
              ([k]) => !k.startsWith('dapr.io/'),
            ),
          );
          const res = await cp.client.apply(deployment as KubeObject);
          assert.ok(res.status < 300, JSON.stringify(res.body));
          try {
            let pod: Pod | undefined;
            const deadline = Date.now() + 30_000;
            while (!pod && Date.now() < deadline) {
              const list = await cp.client.list<Pod>('v1', 'Pod', namespaces.apps);
              pod = list.find((p) => p.metadata.labels?.app === name);
              if (!pod) await new Promise((r) => setTimeout(r, 300));
            }
            assert.ok(pod, 'the ReplicaSet created no pod');
            const names = allContainers(pod).map((c) => c.name);
            assert.ok(names.includes('istio-proxy'), names.join(', '));
            assert.ok(!names.includes('daprd'), names.join(', '));
          } finally {
            await cp.client.request('DELETE', `${cp.client.path('apps/v1', 'Deployment', namespaces.apps, name)}`);
          }
        });

        it('the analyzer check fails on an error istioctl analyze reports (a route to a host that does not exist)', async () => {
          const name = 'broken-route';
          const vs: KubeObject = {
            apiVersion: 'networking.istio.io/v1',
            kind: 'VirtualService',
            metadata: { name, namespace: namespaces.apps },
            spec: {
              hosts: ['broken.example.internal'],
              http: [{ route: [{ destination: { host: `does-not-exist.${namespaces.apps}.svc.cluster.local` } }] }],
            },
          };
          const res = await cp.client.apply(vs);
          assert.ok(res.status < 300, JSON.stringify(res.body));
          try {
            const problems = analyzerProblems(await analyze(cp.kubeconfig));
            assert.ok(
              problems.some((p) => p.startsWith('Error') && p.includes(name)),
              `the check did not fail on ${name}: ${problems.join('\n')}`,
            );
          } finally {
            await cp.client.request('DELETE', cp.client.path('networking.istio.io/v1', 'VirtualService', namespaces.apps, name));
          }
        });
      });
    }
  });
}
