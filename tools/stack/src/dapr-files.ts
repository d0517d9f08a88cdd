/**
 * Dapr components and Configuration for the local stack, generated from the topology so
 * scopes always match `ServiceSpec.components`. The stack runner writes them under
 * .data/ with absolute paths each run; `stack write-dapr-files` writes the same documents
 * with repo-relative paths to dapr/ for people who run `dapr run -f .` instead.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appsUsing, type ComponentName, componentNames } from '@meshmart/kit/topology';
import { stringify } from 'yaml';
import { localCredentials } from './credentials.ts';
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

interface MetadataItem {
  name: string;
  value: string;
}

export interface DaprComponent {
  apiVersion: 'dapr.io/v1alpha1';
  kind: 'Component';
  metadata: { name: ComponentName };
  spec: { type: string; version: 'v1'; metadata: MetadataItem[] };
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

const DAPR_CONFIGURATION_NAME = 'meshmart';

/** The Redis database of the `configstore` component (fault flags). */
export const FLAG_REDIS_DB = 1;

const loopback = '127.0.0.1';
const redisHost = `${loopback}:${infraPorts.redis}`;

function meta(values: Record<string, string>): MetadataItem[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

const componentSpecs: Record<ComponentName, (at: DaprFileLocations) => DaprComponent['spec']> = {
  statestore: () => ({ type: 'state.redis', version: 'v1', metadata: meta({ redisHost, redisPassword: '' }) }),
  pubsub: () => {
    const { user, password } = localCredentials.rabbitmq;
    return {
      type: 'pubsub.rabbitmq',
      version: 'v1',
      metadata: meta({
        connectionString: `amqp://${user}:${password}@${loopback}:${infraPorts.rabbitmq}`,
        durable: 'true',
        deletedWhenUnused: 'false',
        // Persistent messages with publisher confirms: the outbox only marks an event sent
        // once the broker has it.
        deliveryMode: '2',
        publisherConfirm: 'true',
        // Dapr, not the broker, bounds redelivery: the inbound Resiliency policy retries a
        // delivery, then daprd publishes it to the subscription's dead-letter topic and acks
        // it. The component sees a failure only when that publish fails or daprd stops
        // mid-delivery; requeueing then keeps the message for the next round (another replica
        // after a rollout). Same in the cluster (cdk8s/src/dapr/components.ts).
        requeueInFailure: 'true',
        prefetchCount: '20',
      }),
    };
  },
  secretstore: (at) => ({
    type: 'secretstores.local.file',
    version: 'v1',
    metadata: meta({ secretsFile: at.secretsFile, nestedSeparator: ':' }),
  }),
  // Database 1, as in the cluster: fault flags apart from cached state, and a store whose
  // keys are all flags (`npm run stack -- flag list` reads them).
  configstore: () => ({
    type: 'configuration.redis',
    version: 'v1',
    metadata: meta({ redisHost, redisPassword: '', redisDB: String(FLAG_REDIS_DB) }),
  }),
  smtp: () => ({
    type: 'bindings.smtp',
    version: 'v1',
    metadata: meta({
      host: loopback,
      port: String(infraPorts.smtp),
      skipTLSVerify: 'true',
      emailFrom: 'meshmart@localhost',
    }),
  }),
  blobstore: (at) => ({ type: 'bindings.localstorage', version: 'v1', metadata: meta({ rootPath: at.blobDir }) }),
};

export function daprComponent(name: ComponentName, scopes: readonly string[], at: DaprFileLocations): DaprComponent {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: componentSpecs[name](at),
    scopes: [...scopes],
  };
}

/**
 * Components some service uses, each scoped to exactly those services. A component no
 * service uses is left out: Dapr gives an unscoped component to every app.
 */
export function daprComponents(at: DaprFileLocations): DaprComponent[] {
  return componentNames
    .map((name) => ({ name, scopes: appsUsing(name) }))
    .filter(({ scopes }) => scopes.length > 0)
    .map(({ name, scopes }) => daprComponent(name, scopes, at));
}

export function daprConfiguration(at: DaprFileLocations): DaprConfiguration {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: { name: DAPR_CONFIGURATION_NAME },
    spec: {
      tracing: {
        samplingRate: '1',
        otel: { endpointAddress: `${loopback}:${infraPorts.jaegerOtlpGrpc}`, isSecure: false, protocol: 'grpc' },
      },
      // Path-level HTTP metrics stay off (Dapr's default from 1.15 on): one series per URL
      // would follow every id in the API's paths.
      metrics: { enabled: true, http: { increasedCardinality: false } },
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

/**
 * The inbound half of the cluster's pub/sub policy (cdk8s/src/dapr/resiliency.ts), with
 * the same numbers: without it daprd delivers once and dead-letters a RETRY at once. The
 * outbound component policies stay cluster-only: the outage tests expect a failing store
 * to answer at once, not after retries and an open breaker.
 */
export const deliveryPolicy = {
  timeout: '30s',
  retry: { policy: 'exponential', maxInterval: '15s', maxRetries: 5 },
} as const;

/**
 * The breaker in front of payments. In the cluster Envoy's outlier detection ejects a
 * slow or failing payments (cdk8s/src/mesh/traffic.ts); locally no Envoy runs, so orders'
 * sidecar trips a Dapr circuit breaker instead, with no retries (the saga owns those).
 * The timeout sits above the slowest test card (3 s) and below orders' own deadline
 * (PAYMENTS_TIMEOUT_MS, 10 s), so a hung payments counts as a failure of the breaker.
 * Dapr counts every answer outside 2xx–3xx as a failure, declined cards (402) included,
 * and keeps one breaker per path (`payments:charges`): five in a row, not three, so a
 * saga's three tries at one failing charge do not open it alone.
 */
export const paymentsBreaker = {
  timeout: '5s',
  circuitBreaker: { maxRequests: 1, interval: '0s', timeout: '15s', trip: 'consecutiveFailures >= 5' },
  retry: { policy: 'constant', duration: '1s', maxRetries: 0 },
} as const;

export function daprResiliency(): DaprResiliency {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Resiliency',
    metadata: { name: DAPR_CONFIGURATION_NAME },
    spec: {
      policies: {
        timeouts: { delivery: deliveryPolicy.timeout, payments: paymentsBreaker.timeout },
        retries: { delivery: deliveryPolicy.retry, none: paymentsBreaker.retry },
        circuitBreakers: { payments: paymentsBreaker.circuitBreaker },
      },
      targets: {
        apps: { payments: { timeout: 'payments', retry: 'none', circuitBreaker: 'payments' } },
        components: { pubsub: { inbound: { timeout: 'delivery', retry: 'delivery' } } },
      },
    },
  };
}

/** Secrets the local.file secret store serves; the same names the cluster's Secrets carry. */
export function localSecrets(): Record<string, string> {
  return {
    'postgres-password': localCredentials.postgres.password,
    'rabbitmq-password': localCredentials.rabbitmq.password,
    [localCredentials.admin.secret]: localCredentials.admin.password,
  };
}

const header = '# Generated from services/kit/src/topology.ts by tools/stack; do not edit.\n';

/** File name relative to `at.dir` → content. */
export function renderDaprFiles(at: DaprFileLocations): Map<string, string> {
  const files = new Map<string, string>();
  for (const component of daprComponents(at)) {
    files.set(path.join('components', `${component.metadata.name}.yaml`), header + stringify(component));
  }
  // daprd reads Resiliency documents from the resources path, next to the components.
  files.set(path.join('components', 'resiliency.yaml'), header + stringify(daprResiliency()));
  files.set('config.yaml', header + stringify(daprConfiguration(at)));
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
