/**
 * Optional Istio fault injection, off unless synthesized with `--istio-faults=<profile>`:
 * Envoy delays or aborts Dapr's invocations of one app on its invocation hop, the
 * cluster's counterpart of the fault flags the apps follow through the `configstore`
 * component (services/kit/src/fault-flags.ts). The invocation hop is Dapr's internal gRPC,
 * so an abort answers a gRPC status, which the calling sidecar reports like a dead callee.
 */
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import type { ServiceName } from '@meshmart/kit/topology';

type HttpRoute = NonNullable<NonNullable<IVirtualService['spec']>['http']>[number];
export type HttpFault = NonNullable<HttpRoute['fault']>;

export interface IstioFaultProfile {
  service: ServiceName;
  description: string;
  fault: HttpFault;
}

export const istioFaultProfiles = {
  'payments-slow': {
    service: 'payments',
    description: 'every invocation of payments waits 8 s: above the per-try timeout, so outlier detection ejects it',
    fault: { delay: { percentage: { value: 100 }, fixedDelay: '8s' } },
  },
  'payments-failing': {
    service: 'payments',
    description: 'half of the invocations of payments are refused with UNAVAILABLE before they reach it',
    fault: { abort: { percentage: { value: 50 }, grpcStatus: 'UNAVAILABLE' } },
  },
} as const satisfies Record<string, IstioFaultProfile>;

export type IstioFaultProfileName = keyof typeof istioFaultProfiles;

export function istioFaultProfile(name: string): IstioFaultProfile {
  if (!Object.hasOwn(istioFaultProfiles, name)) {
    throw new Error(`unknown Istio fault profile ${name}; one of: ${Object.keys(istioFaultProfiles).join(', ')}`);
  }
  return istioFaultProfiles[name as IstioFaultProfileName];
}

/** The fault for `service`'s invocation route under the chosen profiles, if any. */
export function faultFor(service: ServiceName, profiles: readonly IstioFaultProfile[] = []): HttpFault | undefined {
  return profiles.find((p) => p.service === service)?.fault;
}
