/**
 * The cluster plan's Dapr Resiliency (services/kit/src/deployment/resiliency.ts): daprd
 * owns component calls and pub/sub deliveries; for service invocation Istio owns the hop,
 * so each invoked app gets a zero-retry policy, which also replaces Dapr's built-in
 * retries (DaprBuiltInServiceRetries) that would otherwise multiply Envoy's attempts.
 */
import { daprConfigName } from '@meshmart/kit/deployment/sidecar';
import type { ServiceSpec } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { Resiliency } from '../../imports/dapr.io.ts';
import { clusterPlan } from '../cluster-plan.ts';

export function daprResiliency(scope: Construct, services: readonly ServiceSpec[]): void {
  const { policies, targets } = clusterPlan(services).resiliency;
  new Resiliency(scope, 'dapr-resiliency', { metadata: { name: daprConfigName }, spec: { policies, targets } });
}
