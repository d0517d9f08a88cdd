/** The cluster target's deployment plan, which the charts print as manifests. */
import { type DeploymentPlan, deploymentPlan, type ServicePlan, servicePlanOf } from '@meshmart/kit/deployment/plan';
import type { ServiceName, ServiceSpec } from '@meshmart/kit/topology';

const plans = new WeakMap<readonly ServiceSpec[], DeploymentPlan>();

/** One plan per topology: charts of one synth share it, tests pass their own topologies. */
export function clusterPlan(services: readonly ServiceSpec[]): DeploymentPlan {
  let plan = plans.get(services);
  if (!plan) {
    plan = deploymentPlan('cluster', { topology: services });
    plans.set(services, plan);
  }
  return plan;
}

export function clusterServicePlan(services: readonly ServiceSpec[], name: ServiceName): ServicePlan {
  return servicePlanOf(clusterPlan(services), name);
}
