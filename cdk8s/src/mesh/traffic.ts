/**
 * Timeouts, bounded retries, connection pools and outlier detection for every service,
 * on both hosts it is reached by: `<app>` (the ingress → public service hop) and
 * `<app>-invoke` (the daprd → daprd invocation hop). Istio owns transport retries on
 * these hops and Dapr's are switched off (dapr/resiliency.ts); apps do not retry an
 * invocation either, except orders' saga, whose steps are business retries carrying
 * idempotency keys (services/kit/src/deployment/retries.ts).
 *
 * Retries fire only on failures where the request provably did not reach the app
 * (connect failure, refused stream, gRPC UNAVAILABLE from the peer proxy), so a
 * non-idempotent POST is never replayed after it ran.
 */

import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { meshRetries } from '@meshmart/kit/deployment/retries';
import type { ServiceName, ServiceSpec } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { daprInternalPort, fqdn, invokeServiceName } from '../naming.ts';
import { namespaces } from '../settings.ts';
import { faultFor, type IstioFaultProfile } from './faults.ts';
import { istioObject } from './istio-object.ts';

type TrafficPolicy = NonNullable<NonNullable<IDestinationRule['spec']>['trafficPolicy']>;

export const trafficSettings = {
  /** Dapr HTTP invocation (CallLocal/CallLocalStream) is request/response: bound it. */
  invocationTimeout: '15s',
  invocationPerTryTimeout: '5s',
  // Who retries what is the deployment plan's (services/kit/src/deployment/retries.ts).
  ...meshRetries,
} as const;

/**
 * Apps whose invocations legitimately outlast the default bound. orders answers a
 * checkout only when its saga ends (up to CHECKOUT_WAIT_MS, 25 s); one try covers it, and
 * retries stay limited to connection failures, so nothing is charged twice.
 */
const longInvocations: Partial<Record<ServiceName, { timeout: string; perTryTimeout: string }>> = {
  orders: { timeout: '35s', perTryTimeout: '35s' },
};

/** The bounds of Dapr's request/response invocation of an app (its `dapr-invocation` route). */
export function invocationBounds(app: ServiceName): { timeout: string; perTryTimeout: string } {
  return (
    longInvocations[app] ?? {
      timeout: trafficSettings.invocationTimeout,
      perTryTimeout: trafficSettings.invocationPerTryTimeout,
    }
  );
}

/** Path prefix of Dapr's internal invocation API; everything else on the hop is proxied gRPC. */
export const daprInternalInvocationPrefix = '/dapr.proto.internals.v1.ServiceInvocation/';

export const trafficPolicy: TrafficPolicy = {
  connectionPool: {
    tcp: { maxConnections: 100, connectTimeout: '2s' },
    // Caps concurrent requests: past it Envoy fails fast with 503 instead of queueing.
    http: { http2MaxRequests: 200, http1MaxPendingRequests: 50, idleTimeout: '300s' },
  },
  outlierDetection: {
    consecutive5xxErrors: 5,
    consecutiveGatewayErrors: 3,
    interval: '10s',
    baseEjectionTime: '30s',
    maxEjectionPercent: 50,
  },
};

export function destinationRules(scope: Construct, services: readonly ServiceSpec[]): void {
  for (const spec of services) {
    for (const name of [spec.name, invokeServiceName(spec.name)]) {
      istioObject(
        scope,
        'DestinationRule',
        { name, namespace: namespaces.apps },
        {
          host: fqdn(name, namespaces.apps),
          trafficPolicy,
        },
      );
    }
  }
}

/** Routes for the invocation hop of each service. */
export function invocationRoutes(
  scope: Construct,
  services: readonly ServiceSpec[],
  faults: readonly IstioFaultProfile[] = [],
): void {
  for (const spec of services) {
    const host = fqdn(invokeServiceName(spec.name), namespaces.apps);
    const route = [{ destination: { host, port: { number: daprInternalPort } } }];
    const fault = faultFor(spec.name, faults);
    istioObject(
      scope,
      'VirtualService',
      { name: invokeServiceName(spec.name), namespace: namespaces.apps },
      {
        hosts: [host],
        http: [
          {
            name: 'dapr-invocation',
            match: [{ uri: { prefix: daprInternalInvocationPrefix } }],
            route,
            ...(fault && { fault }),
            timeout: invocationBounds(spec.name).timeout,
            retries: {
              attempts: trafficSettings.attempts,
              perTryTimeout: invocationBounds(spec.name).perTryTimeout,
              retryOn: trafficSettings.retryOn,
            },
          },
          {
            // Proxied gRPC (dapr-app-id) may be a long server stream: no route timeout, the
            // caller's gRPC deadline travels as grpc-timeout and Envoy honours it.
            name: 'grpc-proxy',
            route,
            retries: { attempts: trafficSettings.attempts, retryOn: trafficSettings.retryOn },
          },
        ],
      },
    );
  }
}
