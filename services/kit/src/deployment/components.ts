/**
 * The Dapr components, once for both targets. Every metadata value is either the same on
 * both or carries the target reason it differs by; the stack and cdk8s print the result.
 */
import { appsUsing, type ComponentName, componentNames, type ServiceSpec } from '../topology.ts';
import { blobMountPath, credentialSecrets, storeHost, storePorts } from './cluster-target.ts';
import { infraPorts, type LocalFiles, localCredentials, loopback } from './local-target.ts';
import { byTarget, type Explained, type PerTarget, resolve, same, type Target } from './target.ts';

export type MetadataValue = { value: string } | { secretKeyRef: { name: string; key: string } };
export type MetadataItem = { name: string } & MetadataValue;

export interface ComponentPlan {
  name: ComponentName;
  type: string;
  metadata: MetadataItem[];
  /** Apps that may use it: exactly those whose topology entry lists it. */
  scopes: string[];
  /** `type` or a metadata name → why it has another value on the other target. */
  explained: Record<string, Explained>;
}

interface ComponentDefinition {
  type: PerTarget<string>;
  metadata: Record<string, PerTarget<MetadataValue>>;
}

const value = (v: string): MetadataValue => ({ value: v });
const secretKey = (name: string, key: string): MetadataValue => ({ secretKeyRef: { name, key } });

const redisAddress = byTarget<MetadataValue>(
  { reason: 'address', why: 'the private Redis on a loopback port; the data namespace Redis' },
  value(`${loopback}:${infraPorts.redis}`),
  value(`${storeHost('redis')}:${storePorts.redis}`),
);
const redisPassword = byTarget<MetadataValue>(
  { reason: 'secret', why: 'the loopback-only Redis has no password; the cluster Redis reads one from its Secret' },
  value(''),
  secretKey(credentialSecrets.redis, 'password'),
);

/**
 * Redis database numbers: cached state in 0, fault flags in 1, so the configuration store
 * holds only flags (`npm run stack -- flag list` reads them all).
 */
export const redisDatabases = { statestore: 0, configstore: 1 } as const;

function definitions(files: LocalFiles): Record<ComponentName, ComponentDefinition> {
  const { user, password } = localCredentials.rabbitmq;
  return {
    statestore: {
      type: same('state.redis'),
      metadata: {
        redisHost: redisAddress,
        redisPassword,
        redisDB: same(value(String(redisDatabases.statestore))),
      },
    },
    configstore: {
      type: same('configuration.redis'),
      metadata: {
        redisHost: redisAddress,
        redisPassword,
        redisDB: same(value(String(redisDatabases.configstore))),
      },
    },
    pubsub: {
      type: same('pubsub.rabbitmq'),
      metadata: {
        connectionString: byTarget(
          { reason: 'secret', why: 'fixed development credentials inline; the broker password from its Secret' },
          value(`amqp://${user}:${password}@${loopback}:${infraPorts.rabbitmq}`),
          secretKey(credentialSecrets.rabbitmq, 'connection-string'),
        ),
        // Queues and messages survive a broker restart; the outbox only marks an event sent
        // once the broker confirmed it.
        durable: same(value('true')),
        deletedWhenUnused: same(value('false')),
        deliveryMode: same(value('2')),
        publisherConfirm: same(value('true')),
        // daprd, not the broker, bounds redelivery: the inbound Resiliency policy retries a
        // delivery, then daprd publishes it to the subscription's dead-letter topic and acks
        // it. The component sees a failure only when that publish fails or daprd stops
        // mid-delivery (a rollout); requeueing hands it to the next round or replica, where
        // a broker-side dead-letter queue would park healthy messages on every rollout.
        requeueInFailure: same(value('true')),
        // Unacknowledged deliveries per subscriber: enough to keep a handler busy, few enough
        // that a replica stopping hands back little.
        prefetchCount: same(value('16')),
      },
    },
    secretstore: {
      type: byTarget(
        { reason: 'secret', why: 'a committed file of development secrets; the Kubernetes API, scoped by RBAC' },
        'secretstores.local.file',
        'secretstores.kubernetes',
      ),
      metadata: {
        secretsFile: byTarget({ reason: 'secret', why: 'only the file store reads a file' }, value(files.secretsFile), undefined),
        // Lets a JSON object in the file read as `a:b` keys, as Kubernetes Secret keys read.
        nestedSeparator: byTarget({ reason: 'secret', why: 'only the file store nests keys' }, value(':'), undefined),
      },
    },
    smtp: {
      type: same('bindings.smtp'),
      metadata: {
        host: byTarget(
          { reason: 'address', why: 'the local SMTP sink; mailpit in the data namespace' },
          value(loopback),
          value(storeHost('mailpit')),
        ),
        port: byTarget(
          { reason: 'address', why: 'the sink listens off the standard port locally' },
          value(String(infraPorts.smtp)),
          value(String(storePorts.smtp)),
        ),
        // Both sinks speak plain SMTP; a real relay would need TLS and credentials.
        skipTLSVerify: same(value('true')),
        emailFrom: byTarget(
          { reason: 'address', why: "the sender is in the target's own mail domain" },
          value('meshmart@localhost'),
          value('meshmart@meshmart.local'),
        ),
      },
    },
    blobstore: {
      type: same('bindings.localstorage'),
      metadata: {
        rootPath: byTarget(
          { reason: 'storage', why: 'a folder under .data/; the volume daprd mounts (dapr.io/volume-mounts-rw)' },
          value(files.blobDir),
          value(blobMountPath),
        ),
      },
    },
  };
}

/** One component as planned for a target, scoped to `scopes`. */
export function componentPlan(name: ComponentName, target: Target, files: LocalFiles, scopes: readonly string[]): ComponentPlan {
  const definition = definitions(files)[name];
  const { values, explained } = resolve({ type: definition.type }, target);
  const type = values[0]?.[1];
  if (type === undefined) throw new Error(`component ${name} has no type on the ${target} target`);
  const metadata = resolve(definition.metadata, target);
  return {
    name,
    type,
    metadata: metadata.values.map(([key, v]) => ({ name: key, ...v })),
    scopes: [...scopes],
    explained: { ...explained, ...metadata.explained },
  };
}

/**
 * Components some service uses, each scoped to exactly those services. A component no
 * service uses is left out: Dapr gives an unscoped component to every app.
 */
export function componentPlans(target: Target, topology: readonly ServiceSpec[], files: LocalFiles): ComponentPlan[] {
  return componentNames
    .map((name) => ({ name, scopes: appsUsing(name, topology) }))
    .filter(({ scopes }) => scopes.length > 0)
    .map(({ name, scopes }) => componentPlan(name, target, files, scopes));
}
