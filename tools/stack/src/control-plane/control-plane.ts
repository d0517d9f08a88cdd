/**
 * A Kubernetes control plane on loopback, from the binaries setup builds
 * (scripts/setup/cluster-tools.sh): etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, with Nodes registered by hand in place of kubelets. The real
 * controllers create pods and the real scheduler binds them; nothing runs them, since
 * there is no kubelet. Every listener is on 127.0.0.1, on ports away from the local
 * stack's; each run gets a fresh etcd and fresh certificates under `.data/cluster/`.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataDir, toolsBin } from '../paths.ts';
import { type Child, sleep, startChild } from '../processes.ts';
import { isPortOpen } from '../readiness.ts';
import { type ClusterCerts, makeClusterCerts } from './certs.ts';
import { KubeClient, type KubeObject } from './kube-client.ts';

export const controlPlanePorts = {
  etcdClient: 23790,
  etcdPeer: 23791,
  apiServer: 26443,
  controllerManager: 26444,
  scheduler: 26445,
} as const;

export const controlPlaneBinaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

export interface NodeSize {
  name: string;
  cpu: string;
  memory: string;
}

export interface ControlPlane {
  client: KubeClient;
  certs: ClusterCerts;
  dir: string;
  /** A kubeconfig with admin rights, for tools (istiod, istioctl, the Dapr injector). */
  kubeconfig: string;
  /** Registers a Ready node with this capacity (no kubelet: it only exists for the scheduler). */
  addNode(size: NodeSize): Promise<void>;
  stop(): Promise<void>;
}

function kubeconfigFor(certs: ClusterCerts, file: string): string {
  const server = `https://127.0.0.1:${controlPlanePorts.apiServer}`;
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: loopback, cluster: {server: "${server}", certificate-authority: "${certs.ca.cert}"}}]`,
      `users: [{name: admin, user: {client-certificate: "${certs.admin.cert}", client-key: "${certs.admin.key}"}}]`,
      'contexts: [{name: loopback, context: {cluster: loopback, user: admin}}]',
      'current-context: loopback',
      '',
    ].join('\n'),
  );
  return file;
}

async function waitFor(what: string, probe: () => Promise<boolean>, children: Child[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const child of children) {
      if (!child.running) throw new Error(`${child.name} exited while waiting for ${what}:\n${await child.lastLines()}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startControlPlane(options: { quiet?: boolean } = {}): Promise<ControlPlane> {
  const missing = controlPlaneBinaries.filter((b) => !existsSync(path.join(toolsBin, b)));
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')} in ${toolsBin}: run bash scripts/setup/cluster-tools.sh`);
  }
  const taken: number[] = [];
  for (const port of Object.values(controlPlanePorts)) if (await isPortOpen(port)) taken.push(port);
  if (taken.length > 0) throw new Error(`ports ${taken.join(', ')} are taken: is another loopback control plane running?`);

  const dir = path.join(dataDir, 'cluster');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const certs = makeClusterCerts(path.join(dir, 'pki'));
  const kubeconfig = kubeconfigFor(certs, path.join(dir, 'admin.kubeconfig'));
  const output = options.quiet === false ? 'console' : 'file';
  const children: Child[] = [];
  const start = (name: string, args: string[]) => {
    const child = startChild({ name: `cluster-${name}`, command: path.join(toolsBin, name), args, output, cwd: dir });
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
  };
  const client = new KubeClient({ host: '127.0.0.1', port: controlPlanePorts.apiServer }, certs);

  try {
    const etcdClient = `http://127.0.0.1:${controlPlanePorts.etcdClient}`;
    const etcdPeer = `http://127.0.0.1:${controlPlanePorts.etcdPeer}`;
    start('etcd', [
      ...['--name', 'loopback', '--data-dir', path.join(dir, 'etcd')],
      ...['--listen-client-urls', etcdClient, '--advertise-client-urls', etcdClient],
      ...['--listen-peer-urls', etcdPeer, '--initial-advertise-peer-urls', etcdPeer],
      ...['--initial-cluster', `loopback=${etcdPeer}`, '--listen-metrics-urls', ''],
      // A throwaway store: durability costs seconds of fsync on every apply.
      '--unsafe-no-fsync',
      ...['--log-level', 'warn'],
    ]);
    await waitFor('etcd', async () => (await fetch(`${etcdClient}/health`)).ok, children);

    start('kube-apiserver', [
      `--etcd-servers=${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The kubernetes Service would point at a loopback address, which is refused.
      '--endpoint-reconciler-type=none',
      `--secure-port=${controlPlanePorts.apiServer}`,
      `--tls-cert-file=${certs.apiServer.cert}`,
      `--tls-private-key-file=${certs.apiServer.key}`,
      `--client-ca-file=${certs.ca.cert}`,
      `--service-account-key-file=${certs.serviceAccount.pub}`,
      `--service-account-signing-key-file=${certs.serviceAccount.key}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--profiling=false',
      // No kubelet, so no logs or exec; these only quiet start-up warnings.
      `--kubelet-certificate-authority=${certs.ca.cert}`,
    ]);
    await waitFor('kube-apiserver', async () => (await client.request('GET', '/readyz')).status === 200, children);

    // Both controllers reach the API server with the admin kubeconfig, serve their health
    // on loopback only, and run alone, so they need no leader election.
    const controllerFlags = (securePort: number) => [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${securePort}`,
      '--leader-elect=false',
    ];
    start('kube-controller-manager', [
      ...controllerFlags(controlPlanePorts.controllerManager),
      `--service-account-private-key-file=${certs.serviceAccount.key}`,
      `--root-ca-file=${certs.ca.cert}`,
      '--use-service-account-credentials=false',
      // Without kubelets no node ever reports in: the lifecycle controller would taint
      // every node unreachable and evict what the scheduler placed.
      '--controllers=*,-nodelifecycle,-nodeipam',
    ]);
    start('kube-scheduler', controllerFlags(controlPlanePorts.scheduler));
    // The service-account controller is up once the default namespace has its account.
    await waitFor(
      'kube-controller-manager',
      async () => (await client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      children,
    );
    await client.discover();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    client,
    certs,
    dir,
    kubeconfig,
    async addNode(size) {
      const node: KubeObject = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: size.name,
          labels: { 'kubernetes.io/hostname': size.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
        },
      };
      await client.ok('POST', '/api/v1/nodes', node);
      const now = new Date().toISOString();
      const resources = { cpu: size.cpu, memory: size.memory, pods: '110', 'ephemeral-storage': '50Gi' };
      await client.ok(
        'PATCH',
        `/api/v1/nodes/${size.name}/status`,
        {
          status: {
            capacity: resources,
            allocatable: resources,
            conditions: [
              { type: 'Ready', status: 'True', reason: 'LoopbackNode', lastHeartbeatTime: now, lastTransitionTime: now },
            ],
            addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          },
        },
        'application/merge-patch+json',
      );
      // Admission marks a new node not-ready; the node lifecycle controller, which would
      // lift that once the node reports Ready, is off (see above), so lift it here.
      await client.ok('PATCH', `/api/v1/nodes/${size.name}`, { spec: { taints: null } }, 'application/merge-patch+json');
    },
    stop,
  };
}
