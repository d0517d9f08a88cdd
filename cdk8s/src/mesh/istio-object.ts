/**
 * Istio resources as cdk8s ApiObjects whose specs are typed with the @kubernetes-models
 * interfaces (type-only), so a misspelt field fails the typecheck instead of being
 * pruned silently by the API server.
 */

import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1/Gateway';
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import type { IAuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import type { IPeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import type { IRequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication';
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

interface Kinds {
  AuthorizationPolicy: NonNullable<IAuthorizationPolicy['spec']>;
  PeerAuthentication: NonNullable<IPeerAuthentication['spec']>;
  RequestAuthentication: NonNullable<IRequestAuthentication['spec']>;
  DestinationRule: NonNullable<IDestinationRule['spec']>;
  Gateway: NonNullable<IGateway['spec']>;
  VirtualService: NonNullable<IVirtualService['spec']>;
}

const groups: Record<keyof Kinds, string> = {
  AuthorizationPolicy: 'security.istio.io/v1',
  PeerAuthentication: 'security.istio.io/v1',
  RequestAuthentication: 'security.istio.io/v1',
  DestinationRule: 'networking.istio.io/v1',
  Gateway: 'networking.istio.io/v1',
  VirtualService: 'networking.istio.io/v1',
};

export function istioObject<K extends keyof Kinds>(
  scope: Construct,
  kind: K,
  metadata: { name: string; namespace?: string },
  spec: Kinds[K],
): ApiObject {
  return new ApiObject(scope, `${kind}-${metadata.namespace ?? ''}-${metadata.name}`, {
    apiVersion: groups[kind],
    kind,
    metadata,
    spec,
  });
}
