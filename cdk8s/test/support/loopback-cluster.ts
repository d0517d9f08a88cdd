/**
 * What the cluster level needs on top of the loopback control plane: the CRDs this
 * repository keeps, storage the way kind provides it, Nodes sized like the budgets in
 * docs/cluster.md, and applying synthesized objects with the outcome of each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane, KubeClient, KubeObject } from '@meshmart/stack';
import { parseAllDocuments } from 'yaml';
import type { SizeName } from '../../src/settings.ts';
import type { K8sObject } from './synth.ts';
import { cdk8sDir } from './validate.ts';

export function readCrds(): KubeObject[] {
  const files = ['dapr', 'istio'].flatMap((dir) =>
    readdirSync(join(cdk8sDir, 'crds', dir))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(cdk8sDir, 'crds', dir, f)),
  );
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJSON() as KubeObject | null)
      .filter((o): o is KubeObject => o?.kind === 'CustomResourceDefinition'),
  );
}

export async function installCrds(client: KubeClient): Promise<number> {
  const crds = readCrds();
  for (const crd of crds) {
    const res = await client.apply(crd);
    if (res.status >= 300) throw new Error(`CRD ${crd.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const deadline = Date.now() + 60_000;
  const pause = () => new Promise((r) => setTimeout(r, 200));
  for (const crd of crds) {
    for (;;) {
      const res = await client.ok<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      if (res.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} never became established`);
      await pause();
    }
  }
  // Established is not yet served: the API server can list a new group version and still
  // answer 404 on its path for a moment, which discovery would take for a failure.
  for (const path of servedPaths(crds)) {
    for (;;) {
      const res = await client.request('GET', path.base);
      if (res.status === 200 && servesPlural(res.body, path.plural)) break;
      if (Date.now() > deadline) throw new Error(`${path.base} never served ${path.plural} (last answer ${res.status})`);
      await pause();
    }
  }
  await client.discover();
  return crds.length;
}

interface CrdSpec {
  group: string;
  names: { plural: string };
  versions: Array<{ name: string; served: boolean }>;
}

/** Each served version's discovery path, and the resource it must list. */
function servedPaths(crds: KubeObject[]): Array<{ base: string; plural: string }> {
  return crds.flatMap((crd) => {
    const spec = (crd as KubeObject & { spec: CrdSpec }).spec;
    return spec.versions
      .filter((v) => v.served)
      .map((v) => ({ base: `/apis/${spec.group}/${v.name}`, plural: spec.names.plural }));
  });
}

function servesPlural(body: unknown, plural: string): boolean {
  const resources = (body as { resources?: Array<{ name: string }> } | undefined)?.resources;
  return resources?.some((r) => r.name === plural) ?? false;
}

/**
 * kind's default StorageClass is named `standard` and provisions on demand; without a
 * kubelet nothing can provision here, so volumes are made up front and the real
 * persistent-volume controller binds the stores' claims to them.
 */
export async function installStorage(client: KubeClient, volumes: number): Promise<void> {
  await client.ok('POST', '/apis/storage.k8s.io/v1/storageclasses', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
  });
  for (let i = 0; i < volumes; i++) {
    await client.ok('POST', '/api/v1/persistentvolumes', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `loopback-pv-${i}` },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'standard',
        hostPath: { path: `/var/lib/loopback-pv-${i}` },
      },
    });
  }
}

/**
 * The laptop budgets of docs/cluster.md (what Docker is given), less what runs there
 * besides these manifests: the kind node itself (~1 GB), Istio (~0.4 GB) and the Dapr
 * control plane (~0.4 GB), and half a CPU for them.
 */
export const nodeBudgets: Record<SizeName, { cpu: number; memoryGi: number }> = {
  default: { cpu: 4, memoryGi: 8 },
  small: { cpu: 3, memoryGi: 6 },
};
export const platformOverhead = { cpu: 0.5, memoryGi: 1.8 };

export async function addBudgetNode(cp: ControlPlane, size: SizeName): Promise<{ cpu: number; memoryGi: number }> {
  const budget = nodeBudgets[size];
  const allocatable = { cpu: budget.cpu - platformOverhead.cpu, memoryGi: budget.memoryGi - platformOverhead.memoryGi };
  await cp.addNode({
    name: `kind-${size}`,
    cpu: `${Math.round(allocatable.cpu * 1000)}m`,
    memory: `${Math.round(allocatable.memoryGi * 1024)}Mi`,
  });
  return allocatable;
}

export interface ApplyOutcome {
  object: string;
  status: number;
  warnings: string[];
  message?: string;
  /** Whether the apply wrote a new revision of the object (see revision()). */
  changed: boolean;
}

export const describeObject = (o: K8sObject | KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * What changes when an apply changes an object: its generation where it has one
 * (controllers writing status or scaling do not count), else its resourceVersion.
 */
function revision(obj: KubeObject | undefined): string | undefined {
  const generation = obj?.metadata.generation;
  return typeof generation === 'number' ? `generation ${generation}` : obj?.metadata.resourceVersion;
}

export async function applyAll(client: KubeClient, objects: K8sObject[]): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = [];
  for (const obj of objects) {
    const path = client.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const before = await client.request<KubeObject>('GET', path);
    const res = await client.apply(obj as KubeObject);
    outcomes.push({
      object: describeObject(obj),
      status: res.status,
      warnings: res.warnings,
      ...(res.status >= 300 ? { message: (res.body as { message?: string })?.message ?? JSON.stringify(res.body) } : {}),
      changed: before.status !== 200 || revision(before.body) !== revision(res.body),
    });
  }
  return outcomes;
}

/** Kubernetes CPU and memory quantities as CPUs and GiB (the forms the manifests use). */
export const cpuOf = (q = '0') => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
export const memOfGi = (q = '0') => {
  const units: Record<string, number> = { Ki: 2 ** -20, Mi: 2 ** -10, Gi: 1 };
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(q);
  return m ? Number(m[1]) * (m[2] ? (units[m[2]] ?? 0) : 2 ** -30) : Number.NaN;
};

interface ScheduledPod {
  metadata: { namespace: string };
  spec: { nodeName?: string };
}

/**
 * Waits until the meshmart namespaces hold exactly `want` pods, all bound to a node.
 * When they do not in time, fails with what the controllers and the scheduler said: a
 * pod a webhook or PodSecurity refused never exists, and only its controller's events
 * tell why.
 */
export async function waitForBoundPods<P extends ScheduledPod>(client: KubeClient, want: number): Promise<P[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pods = (await client.list<P>('v1', 'Pod', '*')).filter((p) => p.metadata.namespace.startsWith('meshmart'));
    const bound = pods.filter((p) => p.spec.nodeName);
    if (pods.length === want && bound.length === want) return pods;
    if (Date.now() > deadline) {
      const events = await client.list<{ reason: string; message: string; involvedObject: { name: string } }>('v1', 'Event', '*');
      const why = events
        .filter((e) => /FailedCreate|FailedScheduling|Unschedulable/.test(e.reason))
        .map((e) => `${e.involvedObject.name}: ${e.reason}: ${e.message}`);
      throw new Error(`${bound.length} of ${want} pods bound (${pods.length} created):\n${why.slice(-15).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
