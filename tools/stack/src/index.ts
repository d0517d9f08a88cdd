/** Programmatic API of the local stack, for end-to-end and integration tests. */

export { appLaunch, serviceNodeFlags } from './app-launch.ts';
export { type ControlPlane, controlPlanePorts, type NodeSize, startControlPlane } from './control-plane/control-plane.ts';
export {
  type DaprInjector,
  daprInjectorPorts,
  daprNamespace,
  daprSidecarImage,
  daprWebhook,
  startDaprInjector,
} from './control-plane/dapr-injector.ts';
export {
  generateIstioInstall,
  type Istiod,
  injectionWebhookFor,
  istiodPorts,
  istioNamespace,
  istioProfile,
  startIstiod,
} from './control-plane/istiod.ts';
export { KubeClient, type KubeObject, type KubeResponse } from './control-plane/kube-client.ts';
export { localCredentials } from './credentials.ts';
export { clearFlags, listFlags, setFlag } from './flags.ts';
export {
  dataStores,
  fullInfra,
  type Infra,
  type InfraName,
  type InfraOptions,
  startInfra,
  stopInfraStartedHere,
} from './infra/index.ts';
export { mailDir } from './infra/smtp-sink.ts';
export { repoRoot } from './paths.ts';
export { allPorts, freePort, freePorts, infraPorts, probePort, type ServicePorts, servicePorts } from './ports.ts';
export type { Tokens } from './sidecar.ts';
export { runnableServices, type StackHandle, type StackOptions, startStack } from './stack.ts';
export {
  createScratchDatabase,
  createScratchVhost,
  infraUrls,
  type ScratchDatabase,
  scratchMongoUrl,
} from './test-infra.ts';
export type { ServiceUrls, StackUrls } from './urls.ts';
