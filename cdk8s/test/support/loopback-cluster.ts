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
  for (const crd of crds) {
    for (;;) {
      const res = await client.ok<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      if (res.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} never became established`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await client.discover();
  return crds.length;
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
