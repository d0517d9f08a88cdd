/**
 * The namespaces the system runs in. Apps and data are in the mesh (sidecar injection,
 * STRICT mTLS); observability stays out so kubelet, sidecars and port-forwards reach it
 * in plain text. scripts/kind-up.sh sets the same labels before the first deploy.
 */
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { namespaces } from './settings.ts';

export const namespaceLabels: Record<string, Record<string, string>> = {
  [namespaces.apps]: { 'istio-injection': 'enabled' },
  [namespaces.data]: { 'istio-injection': 'enabled' },
  [namespaces.observability]: { 'istio-injection': 'disabled' },
};

export function ownNamespaces(scope: Construct): void {
  for (const [name, labels] of Object.entries(namespaceLabels)) {
    new k8s.KubeNamespace(scope, `namespace-${name}`, {
      metadata: { name, labels: { ...labels, 'app.kubernetes.io/part-of': 'meshmart' } },
    });
  }
}
