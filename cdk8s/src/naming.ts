/** Names and addresses several charts must agree on. */
import { clusterDomain, namespaces, trustDomain } from './settings.ts';

export {
  appApiTokenSecret,
  daprApiTokenSecret,
  daprHealthPort,
  daprInternalPort,
  daprMetricsPort,
  fqdn,
} from '@meshmart/kit/deployment/cluster-target';

/**
 * The ClusterIP Service Dapr invocation is addressed to instead of Dapr's headless
 * `<app-id>-dapr`: behind a virtual IP, Envoy picks the endpoint, so the DestinationRule's
 * load balancing, connection pool and outlier detection apply to every call.
 */
export function invokeServiceName(app: string): string {
  return `${app}-invoke`;
}

/** Address template for Dapr's Kubernetes name resolver (Go text/template over ResolveRequest). */
export const daprNameResolutionTemplate = `{{.ID}}-invoke.{{.Namespace}}.svc.${clusterDomain}:{{.Port}}`;

/** Istio identity of a workload's service account. */
export function principal(namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export function appPrincipal(app: string): string {
  return principal(namespaces.apps, app);
}

/** The ingress gateway `istioctl install` creates with the profile in istio/. */
export const ingressGateway = {
  namespace: namespaces.istio,
  serviceAccount: 'istio-ingressgateway-service-account',
  selector: { istio: 'ingressgateway' },
  service: 'istio-ingressgateway',
} as const;

export const ingressPrincipal = principal(ingressGateway.namespace, ingressGateway.serviceAccount);
