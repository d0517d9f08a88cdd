/**
 * istiod (`pilot-discovery discovery`) against the loopback control plane, configured
 * the way `istioctl install -f istio/istio-operator.yaml` configures it in a cluster:
 * the real `istioctl manifest generate` renders the profile offline, and its `istio`
 * (mesh config) and `istio-sidecar-injector` ConfigMaps, its istiod environment and its
 * injection webhooks' selectors are what is applied here. Only the webhooks' address
 * changes: the API server calls https://127.0.0.1:<port>/inject, which istiod serves
 * with a certificate of the loopback CA (there is no Service or DNS to reach it by).
 * Every listener is on 127.0.0.1, on ports away from istiod's defaults and the stack's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, toolsBin } from '../paths.ts';
import { type Child, sleep, startChild } from '../processes.ts';
import { isPortOpen } from '../readiness.ts';
import type { ControlPlane } from './control-plane.ts';
import type { KubeObject } from './kube-client.ts';

export const istiodPorts = {
  /** Plain-text gRPC xDS (istiod's 15010). */
  grpcXds: 26510,
  /** Debug and readiness HTTP (8080). */
  http: 26511,
  /** xDS over TLS (15012). */
  secureXds: 26512,
  /** ControlZ introspection (9876). */
  ctrlz: 26513,
  /** Self-monitoring (15014). */
  monitoring: 26514,
  /** Injection and validation webhooks (15017). */
  webhooks: 26517,
} as const;

export const istioProfile = path.join(repoRoot, 'istio', 'istio-operator.yaml');
export const istioNamespace = 'istio-system';

export interface Istiod {
  /** host:port of the plain-text gRPC xDS server, for an xDS client. */
  xdsAddress: string;
  /** The objects `istioctl manifest generate` rendered for the profile. */
  install: KubeObject[];
  child: Child;
  stop(): Promise<void>;
}

/** Renders the project's install profile with the real istioctl (offline: no cluster is read). */
export function generateIstioInstall(profile = istioProfile): KubeObject[] {
  const text = execFileSync(path.join(toolsBin, 'istioctl'), ['manifest', 'generate', '-f', profile], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => typeof o?.kind === 'string');
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`istioctl manifest generate rendered no ${kind} ${name}`);
  return found;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** The literal environment the profile gives istiod's container (downward-API values are the pod's). */
function istiodEnv(install: KubeObject[]): Record<string, string> {
  const deployment = find(install, 'Deployment', 'istiod') as KubeObject & {
    spec: { template: { spec: { containers: Array<{ name: string; env?: EnvVar[] }> } } };
  };
  const container = deployment.spec.template.spec.containers.find((c) => c.name === 'discovery');
  const env: Record<string, string> = {};
  for (const e of container?.env ?? []) if (e.valueFrom === undefined) env[e.name] = e.value ?? '';
  return env;
}

type Webhook = { name: string; clientConfig: Record<string, unknown>; [key: string]: unknown };

/** The generated injection webhooks (same selectors, rules and failure policy), called by URL. */
export function injectionWebhookFor(install: KubeObject[], url: string, caBundle: string): KubeObject {
  const generated = find(install, 'MutatingWebhookConfiguration', 'istio-sidecar-injector') as KubeObject & {
    webhooks: Webhook[];
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: generated.metadata.name, labels: generated.metadata.labels as Record<string, string> },
    webhooks: generated.webhooks.map((w) => ({ ...w, clientConfig: { url, caBundle } })),
  };
}

async function waitUntil(what: string, child: Child, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`istiod exited while waiting for ${what}:\n${await child.lastLines(40)}`);
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for istiod ${what}:\n${await child.lastLines(40)}`);
}

export async function startIstiod(cp: ControlPlane, options: { timeoutMs?: number } = {}): Promise<Istiod> {
  const taken: number[] = [];
  for (const port of Object.values(istiodPorts)) if (await isPortOpen(port)) taken.push(port);
  if (taken.length > 0) throw new Error(`ports ${taken.join(', ')} are taken: is another istiod running?`);

  const install = generateIstioInstall();
  const ns = await cp.client.request('GET', `/api/v1/namespaces/${istioNamespace}`);
  if (ns.status === 404) {
    await cp.client.ok('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: istioNamespace },
    });
  }
  for (const name of ['istio', 'istio-sidecar-injector']) {
    const cm = find(install, 'ConfigMap', name);
    await cp.client.ok(
      'PATCH',
      `${cp.client.path('v1', 'ConfigMap', istioNamespace, name)}?fieldManager=meshmart-istiod&force=true`,
      cm,
      'application/apply-patch+yaml',
    );
  }

  // The working directory has no ./etc/istio/config/mesh and no ./var/lib/istio/inject:
  // istiod then reads the mesh and injector config from the ConfigMaps just applied.
  const dir = path.join(cp.dir, 'istiod');
  mkdirSync(dir, { recursive: true });
  const serving = cp.certs.serving('istiod');
  const loopback = (port: number) => `127.0.0.1:${port}`;
  const child = startChild({
    name: 'cluster-istiod',
    command: path.join(toolsBin, 'pilot-discovery'),
    cwd: dir,
    output: 'file',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      ...istiodEnv(install),
      POD_NAME: 'istiod-loopback',
      POD_NAMESPACE: istioNamespace,
      SERVICE_ACCOUNT: 'istiod',
      KUBECONFIG: cp.kubeconfig,
      // The webhook's caBundle is the loopback CA, written below: istiod must not
      // replace it with its own self-signed root.
      INJECTION_WEBHOOK_CONFIG_NAME: '',
      GOMAXPROCS: '2',
    },
    args: [
      'discovery',
      `--kubeconfig=${cp.kubeconfig}`,
      `--grpcAddr=${loopback(istiodPorts.grpcXds)}`,
      `--httpAddr=${loopback(istiodPorts.http)}`,
      `--secureGRPCAddr=${loopback(istiodPorts.secureXds)}`,
      `--httpsAddr=${loopback(istiodPorts.webhooks)}`,
      `--monitoringAddr=${loopback(istiodPorts.monitoring)}`,
      '--ctrlz_address=127.0.0.1',
      `--ctrlz_port=${istiodPorts.ctrlz}`,
      `--tlsCertFile=${serving.cert}`,
      `--tlsKeyFile=${serving.key}`,
      `--caCertFile=${cp.certs.ca.cert}`,
      '--domain=cluster.local',
      '--keepaliveMaxServerConnectionAge=30m',
      '--log_output_level=default:info',
    ],
  });
  const stop = () => child.stop();

  try {
    const timeoutMs = options.timeoutMs ?? 90_000;
    await waitUntil('readiness', child, async () => (await fetch(`http://${loopback(istiodPorts.http)}/ready`)).ok, timeoutMs);
    await waitUntil('the webhook port', child, () => isPortOpen(istiodPorts.webhooks), timeoutMs);
    const webhook = injectionWebhookFor(
      install,
      `https://${loopback(istiodPorts.webhooks)}/inject`,
      Buffer.from(readFileSync(cp.certs.ca.cert)).toString('base64'),
    );
    await cp.client.ok(
      'PATCH',
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${webhook.metadata.name}?fieldManager=meshmart-istiod&force=true`,
      webhook,
      'application/apply-patch+yaml',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { xdsAddress: loopback(istiodPorts.grpcXds), install, child, stop };
}
