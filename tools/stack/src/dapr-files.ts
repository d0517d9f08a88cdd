/**
 * Dapr components, Resiliency and Configuration for the local stack: the local deployment
 * plan (services/kit/src/deployment/) printed as Dapr documents. The stack runner writes them under
 * .data/ with absolute paths each run; `stack write-dapr-files` writes the same documents
 * with repo-relative paths to dapr/ for people who run `dapr run -f .` instead.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ComponentPlan, componentPlan, redisDatabases } from '@meshmart/kit/deployment/components';
import { type DeploymentPlan, deploymentPlan } from '@meshmart/kit/deployment/plan';
import { resiliencyPolicies } from '@meshmart/kit/deployment/resiliency';
import { daprConfigName, daprHttpMetrics } from '@meshmart/kit/deployment/sidecar';
import type { ComponentName } from '@meshmart/kit/topology';
import { stringify } from 'yaml';
import { localCredentials } from './credentials.ts';
import { localPlan } from './local-plan.ts';
import { paths, repoRoot } from './paths.ts';
import { infraPorts } from './ports.ts';

/** Files the components point at; absolute for the runner, repo-relative for dapr/. */
export interface DaprFileLocations {
  /** The folder config.yaml, secrets.json and components/ are written to. */
  dir: string;
  secretsFile: string;
  blobDir: string;
  nameResolutionDb: string;
}

/**
 * `run`: what the stack runner writes under .data/dapr each start. `static`: the committed
 * dapr/ folder, whose paths are relative to the repository root, where dapr.yaml runs
 * every daprd.
 */
export function daprFileLocations(kind: 'run' | 'static'): DaprFileLocations {
  const at = (p: string) => (kind === 'run' ? path.join(repoRoot, p) : p);
  const dir = kind === 'run' ? path.relative(repoRoot, paths.dapr) : 'dapr';
  return {
    dir: at(dir),
    secretsFile: at(path.join(dir, 'secrets.json')),
    blobDir: at(path.relative(repoRoot, paths.blobs)),
    nameResolutionDb: at(path.relative(repoRoot, paths.nameResolutionDb)),
  };
}

export interface DaprComponent {
  apiVersion: 'dapr.io/v1alpha1';
  kind: 'Component';
  metadata: { name: ComponentName };
  spec: { type: string; version: 'v1'; metadata: Array<{ name: string; value: string }> };
  scopes: string[];
}

export interface DaprResiliency {
  apiVersion: 'dapr.io/v1alpha1';
  kind: 'Resiliency';
  metadata: { name: string };
  spec: Record<string, unknown>;
}

export interface DaprConfiguration {
  apiVersion: 'dapr.io/v1alpha1';
  kind: 'Configuration';
  metadata: { name: string };
  spec: Record<string, unknown>;
}

/** The Redis database of the `configstore` component (fault flags). */
export const FLAG_REDIS_DB = redisDatabases.configstore;

const loopback = '127.0.0.1';

function localPlanAt(at: DaprFileLocations): DeploymentPlan {
  return deploymentPlan('local', { localFiles: at });
}

function printComponent(component: ComponentPlan): DaprComponent {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name: component.name },
    spec: {
      type: component.type,
      version: 'v1',
      metadata: component.metadata.map((m) => {
        // The local target has no secret store in front of its components: values only.
        if (!('value' in m)) throw new Error(`local component ${component.name}: ${m.name} must be a value`);
        return { name: m.name, value: m.value };
      }),
    },
    scopes: component.scopes,
  };
}

/** One component as the local plan has it, scoped to `scopes` (tests scope it to their own app). */
export function daprComponent(name: ComponentName, scopes: readonly string[], at: DaprFileLocations): DaprComponent {
  return printComponent(componentPlan(name, 'local', at, scopes));
}

/** Components some service uses, each scoped to exactly those services. */
export function daprComponents(at: DaprFileLocations): DaprComponent[] {
  return localPlanAt(at).components.map(printComponent);
}

export function daprConfiguration(at: DaprFileLocations): DaprConfiguration {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: { name: daprConfigName },
    spec: {
      tracing: {
        samplingRate: '1',
        otel: { endpointAddress: `${loopback}:${infraPorts.jaegerOtlpGrpc}`, isSecure: false, protocol: 'grpc' },
      },
      metrics: { enabled: true, http: { ...daprHttpMetrics } },
      // SQLite resolves app ids through a shared file, which works without multicast
      // (mDNS, the self-hosted default, does not on many laptops and CI runners).
      nameResolution: {
        component: 'sqlite',
        version: 'v1',
        configuration: { connectionString: at.nameResolutionDb },
      },
    },
  };
}

/** The pub/sub delivery policy: daprd's bound on redelivery before it dead-letters. */
export const deliveryPolicy = {
  timeout: resiliencyPolicies.timeouts.delivery,
  retry: resiliencyPolicies.retries.delivery,
} as const;

export function daprResiliency(): DaprResiliency {
  const { policies, targets } = localPlan().resiliency;
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Resiliency',
    metadata: { name: daprConfigName },
    spec: { policies, targets },
  };
}

/**
 * Secrets the local.file secret store serves: what the plan says services read through
 * it (under the names the cluster's Secrets carry), and the infrastructure passwords.
 */
export function localSecrets(): Record<string, string> {
  const stored = localPlan().services.flatMap((s) =>
    s.storedSecrets.map(({ name, source }) => {
      if (!('value' in source)) throw new Error(`${s.name}: the local secret ${name} must be a value`);
      return [name, source.value] as const;
    }),
  );
  return {
    'postgres-password': localCredentials.postgres.password,
    'rabbitmq-password': localCredentials.rabbitmq.password,
    ...Object.fromEntries(stored),
  };
}

const header = '# Generated from services/kit/src/topology.ts by tools/stack; do not edit.\n';

/**
 * daprd's own environment from the local plan, which tools/dapr-run/daprd exports under
 * `dapr run -f .`: the Dapr CLI hands a run file's `env` to the apps only. One file for
 * every sidecar, so the plan must give them all the same.
 */
export function daprdEnvFile(): string {
  const [first, ...others] = localPlan().services.map((s) => s.sidecar.env);
  if (!first || others.some((env) => JSON.stringify(env) !== JSON.stringify(first))) {
    throw new Error('tools/dapr-run/daprd gives every sidecar one environment; the local plan gives them different ones');
  }
  const lines = Object.entries(first).map(([name, value]) => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || !/^[\w.,:=-]*$/.test(value))
      throw new Error(`daprd.env: ${name}=${value} is not shell-safe`);
    return `${name}=${value}\n`;
  });
  return header + lines.join('');
}

/** File name relative to `at.dir` → content. */
export function renderDaprFiles(at: DaprFileLocations): Map<string, string> {
  const files = new Map<string, string>();
  for (const component of daprComponents(at)) {
    files.set(path.join('components', `${component.metadata.name}.yaml`), header + stringify(component));
  }
  // daprd reads Resiliency documents from the resources path, next to the components.
  files.set(path.join('components', 'resiliency.yaml'), header + stringify(daprResiliency()));
  files.set('config.yaml', header + stringify(daprConfiguration(at)));
  files.set('daprd.env', daprdEnvFile());
  files.set('secrets.json', `${JSON.stringify(localSecrets(), null, 2)}\n`);
  return files;
}

/** Replaces the generated files, so a component dropped from the topology disappears. */
export async function writeDaprFiles(at: DaprFileLocations): Promise<void> {
  const dir = path.resolve(repoRoot, at.dir);
  await rm(path.join(dir, 'components'), { recursive: true, force: true });
  await mkdir(path.join(dir, 'components'), { recursive: true });
  for (const [name, content] of renderDaprFiles(at)) await writeFile(path.join(dir, name), content);
}
