/** The local target's deployment plan, which the stack prints as processes, flags and files. */
import { type DeploymentPlan, deploymentPlan, type ServicePlan, servicePlanOf } from '@meshmart/kit/deployment/plan';
import type { ServiceName, ServiceSpec } from '@meshmart/kit/topology';

let plan: DeploymentPlan | undefined;

/** Settings that do not depend on where the runner writes its files: env, ports, sidecars. */
export function localPlan(): DeploymentPlan {
  plan ??= deploymentPlan('local');
  return plan;
}

/** `topology` is the kit's unless a test runs a service that only its own topology lists. */
export function localServicePlan(name: ServiceName, topology?: readonly ServiceSpec[]): ServicePlan {
  return servicePlanOf(topology ? deploymentPlan('local', { topology }) : localPlan(), name);
}
