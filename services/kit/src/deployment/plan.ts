/**
 * The deployment plan: from the topology and a target to everything a service runs with
 * (environment, ports, probes, sidecar settings), the Dapr components, the Resiliency and
 * who retries what. Pure: no files, no network. tools/stack prints the local plan as
 * processes, daprd flags and dapr/ files; cdk8s prints the cluster plan as manifests.
 */
import { type ServiceName, type ServiceSpec, services as topologyServices } from '../topology.ts';
import { type ComponentPlan, componentPlans } from './components.ts';
import { deadLetterTopic } from './dead-letters.ts';
import { type EnvVar, environmentPlan, type StoredSecret, storedSecretsPlan } from './environment.ts';
import { type LocalFiles, type LocalServicePorts, localServicePorts } from './local-target.ts';
import { type ResiliencyPlan, resiliencyPlan } from './resiliency.ts';
import { type CallRetries, callRetries } from './retries.ts';
import { type AppPorts, appPorts, type Probe, probes, type SidecarPlan, sidecarPlan } from './sidecar.ts';
import type { Explained, Target } from './target.ts';

export { deadLetterTopic };

export interface ServicePlan {
  name: ServiceName;
  ports: AppPorts;
  probes: { liveness: Probe; readiness: Probe; startup: Probe };
  env: EnvVar[];
  /** What the service's Dapr secret store serves it. */
  storedSecrets: StoredSecret[];
  sidecar: SidecarPlan;
  /** `env.<NAME>`, `secretStore.<name>` or `sidecar.<field>` → why it differs by target. */
  explained: Record<string, Explained>;
}

export interface DeploymentPlan {
  target: Target;
  services: ServicePlan[];
  components: ComponentPlan[];
  resiliency: ResiliencyPlan;
  subscriptions: { deadLetterTopic: string };
  retries: CallRetries[];
}

export interface PlanOptions {
  topology?: readonly ServiceSpec[];
  /** Where the local components' files are; the committed dapr/ folder's by default. */
  localFiles?: LocalFiles;
}

/** The committed dapr/ folder's paths, relative to the repository root where daprd runs. */
export const committedLocalFiles: LocalFiles = {
  secretsFile: 'dapr/secrets.json',
  blobDir: '.data/blobs',
  nameResolutionDb: '.data/dapr/name-resolution.db',
};

function servicePlan(spec: ServiceSpec, local: LocalServicePorts, target: Target): ServicePlan {
  const ports = appPorts(spec, local, target);
  const environment = environmentPlan(spec, local, target);
  const sidecar = sidecarPlan(spec, local, target);
  const stored = storedSecretsPlan(spec, target);
  const prefixed = (prefix: string, explained: Record<string, Explained>) =>
    Object.fromEntries(Object.entries(explained).map(([k, v]) => [`${prefix}.${k}`, v]));
  return {
    name: spec.name,
    ports,
    probes: probes(ports),
    env: environment.env,
    storedSecrets: stored.secrets,
    sidecar: sidecar.sidecar,
    explained: {
      ...prefixed('env', environment.explained),
      ...prefixed('secretStore', stored.explained),
      ...prefixed('sidecar', sidecar.explained),
    },
  };
}

export function deploymentPlan(target: Target, options: PlanOptions = {}): DeploymentPlan {
  const topology = options.topology ?? topologyServices;
  return {
    target,
    services: topology.map((spec) => servicePlan(spec, localServicePorts(topology, spec.name), target)),
    components: componentPlans(target, topology, options.localFiles ?? committedLocalFiles),
    resiliency: resiliencyPlan(target, topology),
    subscriptions: { deadLetterTopic },
    retries: callRetries,
  };
}

export function servicePlanOf(plan: DeploymentPlan, name: ServiceName): ServicePlan {
  const found = plan.services.find((s) => s.name === name);
  if (!found) throw new Error(`the ${plan.target} plan has no service ${name}`);
  return found;
}
