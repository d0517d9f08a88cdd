/** The local target's deployment plan, which the stack prints as processes, flags and files. */
import { type DeploymentPlan, deploymentPlan, type ServicePlan, servicePlanOf } from '@meshmart/kit/deployment/plan';
import type { ServiceName } from '@meshmart/kit/topology';

let plan: DeploymentPlan | undefined;

/** Settings that do not depend on where the runner writes its files: env, ports, sidecars. */
export function localPlan(): DeploymentPlan {
  plan ??= deploymentPlan('local');
  return plan;
}

export function localServicePlan(name: ServiceName): ServicePlan {
  return servicePlanOf(localPlan(), name);
}
