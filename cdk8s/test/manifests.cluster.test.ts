/**
 * The synthesized manifests against a real Kubernetes control plane on loopback (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler built by
 * scripts/setup/cluster-tools.sh), with the Istio and Dapr CRDs this repository keeps:
 * server-side apply with strict field validation for both sizes, a second apply that
 * changes nothing, switching sizes in place, and the real controllers and scheduler
 * turning every workload into pods bound within the node budget of docs/cluster.md.
 * No kubelet, images or Envoy run; docs/cluster.md says what that leaves unproven.
 */
import assert from 'node:assert/strict';
import { type ControlPlane, type KubeObject, startControlPlane } from '@meshmart/stack';
import { kubernetesVersion, type SizeName } from '../src/settings.ts';
import {
  type ApplyOutcome,
  addBudgetNode,
  applyAll,
  cpuOf,
  describeObject,
  installCrds,
  installStorage,
  memOfGi,
  waitForBoundPods,
} from './support/loopback-cluster.ts';
import { type K8sObject, synthesize } from './support/synth.ts';

const summary: string[][] = [];
let crdCount = 0;

/** The level's table, printed once every cluster suite of this file has run. */
after(() => {
  if (summary.length === 0) return;
  const widths = summary[0]?.map((_, i) => Math.max(...summary.map((row) => (row[i] ?? '').length))) ?? [];
  const lines = summary.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  process.stdout.write(`\n  cluster check\n${lines.map((l) => `    ${l}`).join('\n')}\n\n`);
});
const fixedSeed = Buffer.alloc(48, 7);
const manifests = (size: SizeName) => synthesize({ size, seed: fixedSeed }).objects;

function problems(outcomes: ApplyOutcome[]): string[] {
  return outcomes.flatMap((o) => [
    ...(o.status >= 300 ? [`${o.object}: ${o.status} ${o.message}`] : []),
    ...o.warnings.map((w) => `${o.object}: warning: ${w}`),
  ]);
}

interface PodLike {
  metadata: { name: string; namespace: string; ownerReferences?: Array<{ kind: string; name: string }> };
  spec: {
    nodeName?: string;
    containers: Array<{ name: string; resources?: { requests?: Record<string, string> } }>;
    initContainers?: Array<{ name: string; resources?: { requests?: Record<string, string> } }>;
  };
}

/**
 * The pods the workloads ask for: replicas of every Deployment and StatefulSet, raised
 * to its HorizontalPodAutoscaler's minimum, which the real HPA controller enforces even
 * without a metrics API (a few seconds after the Deployment's first pod).
 */
function expectedPods(objects: K8sObject[]): number {
  const minimum = new Map(
    objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => [o.spec.scaleTargetRef.name, o.spec.minReplicas ?? 1]),
  );
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .reduce((n, o) => n + Math.max(o.spec.replicas ?? 1, minimum.get(o.metadata.name) ?? 1), 0);
}

/** What scripts/kind-up.sh leaves before the first deploy: Istio's and Dapr's namespaces. */
async function createPlatformNamespaces(cp: ControlPlane): Promise<void> {
  for (const name of ['istio-system', 'dapr-system']) {
    await cp.client.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}

describe('manifests on a real control plane (loopback)', function () {
  this.timeout(600_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane();
    crdCount = await installCrds(cp.client);
    await createPlatformNamespaces(cp);
    await installStorage(cp.client, 8);
  });

  after(async () => {
    await cp?.stop();
  });

  it(`runs the Kubernetes minor of the docs' kind node image (${kubernetesVersion})`, async () => {
    const version = await cp.client.ok<{ gitVersion: string }>('GET', '/version');
    assert.match(version.body.gitVersion, new RegExp(`^v${kubernetesVersion.replace('.', '\\.')}\\.`));
    summary.push(['', 'API server', version.body.gitVersion, `${crdCount} CRDs installed`]);
  });

  for (const size of ['default', 'small'] as const) {
    describe(`${size} size`, () => {
      const objects = manifests(size);
      const otherSize: SizeName = size === 'default' ? 'small' : 'default';

      it('applies every object with server-side apply and strict field validation: no rejection, no warning', async () => {
        const outcomes = await applyAll(cp.client, objects);
        assert.deepEqual(problems(outcomes), []);
        assert.equal(outcomes.length, objects.length);
        summary.push([size, 'applied', `${outcomes.length} objects`, '0 rejected, 0 warnings']);
      });

      it('changes nothing when applied a second time', async () => {
        const outcomes = await applyAll(cp.client, objects);
        assert.deepEqual(problems(outcomes), []);
        assert.deepEqual(
          outcomes.filter((o) => o.changed).map((o) => o.object),
          [],
        );
        summary.push([size, 'applied again', `${outcomes.length} objects`, '0 changed']);
      });

      it(`switches to the ${otherSize} size and back in place`, async () => {
        const there = await applyAll(cp.client, manifests(otherSize));
        const back = await applyAll(cp.client, objects);
        assert.deepEqual([...problems(there), ...problems(back)], []);
        summary.push([size, `→ ${otherSize} → ${size}`, `${there.length} + ${back.length} objects`, '0 rejected']);
      });
    });
  }

  describe('negative cases: the level rejects what a cluster would', () => {
    const edge = () =>
      structuredClone(manifests('default').find((o) => o.kind === 'VirtualService' && o.metadata.name === 'edge'));

    it('a route timeout of 0s (the VirtualService CRD requires more than 1 ms)', async () => {
      const vs = edge();
      assert.ok(vs, 'the edge VirtualService exists');
      vs.spec.http[0].timeout = '0s';
      const res = await cp.client.apply(vs as KubeObject);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.match(JSON.stringify(res.body), /timeout/);
    });

    it('an unknown field, in a core kind and in a Dapr kind', async () => {
      const objects = manifests('default');
      const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment'));
      const component = structuredClone(objects.find((o) => o.kind === 'Component'));
      assert.ok(deployment && component);
      deployment.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
      component.spec.initTimout = '5s';
      for (const obj of [deployment, component]) {
        // Server-side apply reports a field outside the schema while building the typed
        // patch (status 500, "field not declared in schema"); either way nothing is written.
        const res = await cp.client.apply(obj as KubeObject);
        assert.ok(res.status >= 400, `${describeObject(obj)}: ${res.status}`);
        assert.match(JSON.stringify(res.body), /field not declared in schema|unknown field/);
      }
    });

    it('a size whose volumes differ (volumeClaimTemplates cannot change)', async () => {
      const store = structuredClone(manifests('default').find((o) => o.kind === 'StatefulSet'));
      assert.ok(store);
      store.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '1Gi';
      const res = await cp.client.apply(store as KubeObject);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.match(JSON.stringify(res.body), /volumeClaimTemplates.*field is immutable/);
    });
  });
});

for (const size of ['default', 'small'] as const) {
  describe(`controllers and scheduler on a real control plane (${size} size)`, function () {
    this.timeout(600_000);
    let cp: ControlPlane;
    let allocatable: { cpu: number; memoryGi: number };

    // A control plane of its own: the other size's ReplicaSets would leave their pods.
    before(async () => {
      cp = await startControlPlane();
      await installCrds(cp.client);
      await createPlatformNamespaces(cp);
      await installStorage(cp.client, 8);
      allocatable = await addBudgetNode(cp, size);
    });

    after(async () => {
      await cp?.stop();
    });

    it('turn every workload into pods, each bound within the node budget', async () => {
      const objects = manifests(size);
      assert.deepEqual(problems(await applyAll(cp.client, objects)), []);
      const want = expectedPods(objects);
      const pods = await waitForBoundPods<PodLike>(cp.client, want);
      assert.equal(pods.length, want);
      const requested = pods.flatMap((p) => [...p.spec.containers, ...(p.spec.initContainers ?? [])]);
      const cpu = requested.reduce((n, c) => n + cpuOf(c.resources?.requests?.cpu), 0);
      const memory = requested.reduce((n, c) => n + memOfGi(c.resources?.requests?.memory), 0);
      assert.ok(cpu <= allocatable.cpu && memory <= allocatable.memoryGi);
      summary.push([
        size,
        'pods bound',
        `${pods.length} of ${want}`,
        `requests ${cpu.toFixed(2)} CPU / ${memory.toFixed(2)} GiB of ${allocatable.cpu} / ${allocatable.memoryGi.toFixed(1)}; ` +
          `headroom ${(allocatable.cpu - cpu).toFixed(2)} CPU / ${(allocatable.memoryGi - memory).toFixed(2)} GiB`,
      ]);
    });
  });
}
