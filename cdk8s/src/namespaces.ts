/**
 * The namespaces the system runs in. Apps and data are in the mesh (sidecar injection,
 * STRICT mTLS); observability stays out so kubelet, sidecars and port-forwards reach it
 * in plain text. scripts/kind-up.sh sets the same labels before the first deploy.
 * Every one enforces PodSecurity "baseline": Istio's CNI agent (istio/) replaces the
 * privileged istio-init container, and our own containers meet "restricted".
 */
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { namespaces } from './settings.ts';

const podSecurity = { 'pod-security.kubernetes.io/enforce': 'baseline' };

export const namespaceLabels: Record<string, Record<string, string>> = {
  [namespaces.apps]: { 'istio-injection': 'enabled', ...podSecurity },
  [namespaces.data]: { 'istio-injection': 'enabled', ...podSecurity },
  [namespaces.observability]: { 'istio-injection': 'disabled', ...podSecurity },
};

export function ownNamespaces(scope: Construct): void {
  for (const [name, labels] of Object.entries(namespaceLabels)) {
    new k8s.KubeNamespace(scope, `namespace-${name}`, {
      metadata: { name, labels: { ...labels, 'app.kubernetes.io/part-of': 'meshmart' } },
    });
  }
}
