/**
 * Zero-trust inside the mesh: mTLS is STRICT and every namespace we own starts from
 * "allow nothing". The ALLOW rules below are the topology's call graph and nothing else:
 *
 * - ingress gateway → each public service's app port;
 * - caller's pod → callee's `daprd` internal port, for every `calls` edge (Dapr
 *   invocation travels sidecar to sidecar, so the peer identity is the caller's
 *   service account);
 * - app → the data store behind each component or database it declares. Pub/sub
 *   deliveries are pulled from RabbitMQ by the subscriber's sidecar, so they show up
 *   here as subscriber → rabbitmq, next to publisher → rabbitmq.
 *
 * Rules match ports, not paths: path rules need Istio to parse the hop as HTTP, and a
 * protocol mis-detection would silently turn an ALLOW into a deny.
 */
import { callersOf } from '@meshmart/kit/call-graph';
import type { ServiceSpec } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { storeAccess } from '../data/stores.ts';
import { appPrincipal, daprInternalPort, ingressPrincipal } from '../naming.ts';
import { namespaces } from '../settings.ts';
import { istioObject } from './istio-object.ts';

export function peerAuthentication(scope: Construct): void {
  for (const namespace of [namespaces.apps, namespaces.data]) {
    istioObject(scope, 'PeerAuthentication', { name: 'default', namespace }, { mtls: { mode: 'STRICT' } });
  }
}

export function authorizationPolicies(scope: Construct, services: readonly ServiceSpec[]): void {
  for (const namespace of [namespaces.apps, namespaces.data]) {
    // An ALLOW policy without rules matches nothing: every request not allowed below is denied.
    istioObject(scope, 'AuthorizationPolicy', { name: 'allow-nothing', namespace }, {});
  }

  for (const spec of services) {
    const selector = { matchLabels: { app: spec.name } };
    if (spec.public) {
      istioObject(
        scope,
        'AuthorizationPolicy',
        { name: `${spec.name}-from-ingress`, namespace: namespaces.apps },
        {
          selector,
          action: 'ALLOW',
          rules: [
            { from: [{ source: { principals: [ingressPrincipal] } }], to: [{ operation: { ports: [String(spec.port)] } }] },
          ],
        },
      );
    }
    const callers = callersOf(services, spec.name);
    if (callers.length > 0) {
      istioObject(
        scope,
        'AuthorizationPolicy',
        { name: `${spec.name}-from-callers`, namespace: namespaces.apps },
        {
          selector,
          action: 'ALLOW',
          rules: [
            {
              from: [{ source: { principals: callers.map(appPrincipal) } }],
              to: [{ operation: { ports: [String(daprInternalPort)] } }],
            },
          ],
        },
      );
    }
  }

  for (const access of storeAccess(services)) {
    istioObject(
      scope,
      'AuthorizationPolicy',
      { name: `${access.store}-clients`, namespace: namespaces.data },
      {
        selector: { matchLabels: { app: access.store } },
        action: 'ALLOW',
        rules: [
          {
            from: [{ source: { principals: access.clients.map(appPrincipal) } }],
            to: [{ operation: { ports: [String(access.port)] } }],
          },
        ],
      },
    );
  }
}
