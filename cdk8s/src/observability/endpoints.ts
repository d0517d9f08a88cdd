/** Addresses of the observability backends, shared by apps, Dapr, Istio and Grafana: the plan's. */
export { observabilityEndpoints, observabilityPorts } from '@meshmart/kit/deployment/cluster-target';
