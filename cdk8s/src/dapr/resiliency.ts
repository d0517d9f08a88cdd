/**
 * Dapr owns resilience for component calls (state, pub/sub, bindings, configuration,
 * secrets): Istio sees those only as opaque TCP. For service invocation Istio owns
 * retries, so each invoked app gets a zero-retry policy, which also replaces Dapr's
 * built-in three retries (DaprBuiltInServiceRetries) that would otherwise multiply
 * Istio's attempts.
 */
import type { ComponentName, ServiceSpec } from '@meshmart/kit/topology';
import { componentNames } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { Resiliency } from '../../imports/dapr.io.ts';
import { usersOf } from '../context.ts';

export const resiliencyPolicies = {
  timeouts: {
    component: '5s',
    // A subscriber handler may touch a database and publish through its outbox.
    delivery: '30s',
  },
  retries: {
    component: { policy: 'exponential', maxInterval: '2s', maxRetries: 3 },
    delivery: { policy: 'exponential', maxInterval: '15s', maxRetries: 5 },
    none: { policy: 'constant', duration: '1s', maxRetries: 0 },
  },
  circuitBreakers: {
    component: { maxRequests: 1, interval: '30s', timeout: '20s', trip: 'consecutiveFailures >= 5' },
  },
} as const;

type Direction = { timeout?: string; retry?: string; circuitBreaker?: string };

/** SMTP sends are not idempotent: a retried send can deliver the same mail twice. */
const outboundRetry: Record<ComponentName, string | undefined> = {
  statestore: 'component',
  configstore: 'component',
  secretstore: 'component',
  pubsub: 'component',
  blobstore: 'component',
  smtp: undefined,
};

function componentTargets(services: readonly ServiceSpec[]): Record<string, { outbound: Direction; inbound?: Direction }> {
  const targets: Record<string, { outbound: Direction; inbound?: Direction }> = {};
  for (const name of componentNames) {
    if (usersOf(services, name).length === 0) continue;
    const retry = outboundRetry[name];
    targets[name] = {
      outbound: { timeout: 'component', circuitBreaker: 'component', ...(retry ? { retry } : {}) },
      ...(name === 'pubsub' ? { inbound: { timeout: 'delivery', retry: 'delivery' } } : {}),
    };
  }
  return targets;
}

export function daprResiliency(scope: Construct, services: readonly ServiceSpec[]): void {
  const invoked = [...new Set(services.flatMap((s) => s.calls.map((c) => c.to)))];
  new Resiliency(scope, 'dapr-resiliency', {
    metadata: { name: 'meshmart' },
    spec: {
      policies: resiliencyPolicies,
      targets: {
        apps: Object.fromEntries(invoked.map((app) => [app, { retry: 'none' }])),
        components: componentTargets(services),
      },
    },
  });
}
