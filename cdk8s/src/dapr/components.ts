/**
 * Dapr Components, each scoped to exactly the apps whose topology entry lists it. A
 * component no app uses is not created at all: Dapr reads an empty `scopes` as "every
 * app", the opposite of what an unused component should mean.
 */
import type { ComponentName, ServiceSpec } from '@meshmart/kit/topology';
import { componentNames } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { Component } from '../../imports/dapr.io.ts';
import { blobMountPath } from '../apps/pod-annotations.ts';
import { usersOf } from '../context.ts';
import { credentials, ports, storeHost } from '../data/stores.ts';

type MetadataItem = { name: string; value: string } | { name: string; secretKeyRef: { name: string; key: string } };

interface ComponentDefinition {
  type: string;
  metadata: MetadataItem[];
}

const redisAuth: MetadataItem[] = [
  { name: 'redisHost', value: `${storeHost('redis')}:${ports.redis}` },
  { name: 'redisPassword', secretKeyRef: { name: credentials.redis, key: 'password' } },
];

export const componentDefinitions: Record<ComponentName, ComponentDefinition> = {
  statestore: {
    type: 'state.redis',
    metadata: [...redisAuth, { name: 'redisDB', value: '0' }],
  },
  configstore: {
    type: 'configuration.redis',
    // A separate database keeps feature flags apart from cached state.
    metadata: [...redisAuth, { name: 'redisDB', value: '1' }],
  },
  pubsub: {
    type: 'pubsub.rabbitmq',
    metadata: [
      { name: 'connectionString', secretKeyRef: { name: credentials.rabbitmq, key: 'connection-string' } },
      // Queues and messages survive a broker restart; the outbox needs confirms to know
      // a publish really landed before it marks a row sent.
      { name: 'durable', value: 'true' },
      { name: 'deliveryMode', value: '2' },
      { name: 'publisherConfirm', value: 'true' },
      { name: 'deletedWhenUnused', value: 'false' },
      // Dapr bounds redelivery: after the inbound Resiliency retries daprd publishes the
      // message to the subscription's dead-letter topic (services/kit/src/pubsub.ts) and
      // acks it. The component sees a failure only when that publish fails or daprd stops
      // mid-delivery (a rollout); requeueing hands it to the next round or replica, where a
      // broker-side dead-letter queue would park healthy messages on every rollout. Same
      // locally (tools/stack/src/dapr-files.ts).
      { name: 'requeueInFailure', value: 'true' },
      { name: 'prefetchCount', value: '16' },
    ],
  },
  secretstore: {
    type: 'secretstores.kubernetes',
    metadata: [],
  },
  smtp: {
    type: 'bindings.smtp',
    metadata: [
      { name: 'host', value: storeHost('mailpit') },
      { name: 'port', value: String(ports.smtp) },
      { name: 'emailFrom', value: 'meshmart@meshmart.local' },
      // The in-cluster sink speaks plain SMTP; a real relay would use TLS and credentials.
      { name: 'skipTLSVerify', value: 'true' },
    ],
  },
  blobstore: {
    type: 'bindings.localstorage',
    metadata: [{ name: 'rootPath', value: blobMountPath }],
  },
};

export function daprComponents(scope: Construct, services: readonly ServiceSpec[]): void {
  for (const name of componentNames) {
    const scopes = usersOf(services, name);
    if (scopes.length === 0) continue;
    const { type, metadata } = componentDefinitions[name];
    new Component(scope, `component-${name}`, {
      metadata: { name },
      spec: { type, version: 'v1', metadata },
      scopes,
    });
  }
}
