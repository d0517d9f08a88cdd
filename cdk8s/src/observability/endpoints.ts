/** Addresses of the observability backends, shared by apps, Dapr, Istio and Grafana. */
import { fqdn } from '../naming.ts';
import { namespaces } from '../settings.ts';

const collector = fqdn('otel-collector', namespaces.observability);

export const observabilityPorts = {
  otlpGrpc: 4317,
  otlpHttp: 4318,
  jaegerUi: 16686,
  prometheus: 9090,
  grafana: 3000,
} as const;

export const observabilityEndpoints = {
  /** Apps export OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT; the exporter appends /v1/traces). */
  otlpHttp: `http://${collector}:${observabilityPorts.otlpHttp}`,
  /** daprd and Envoy export OTLP/gRPC. */
  otlpGrpcHostPort: `${collector}:${observabilityPorts.otlpGrpc}`,
  collectorHost: collector,
  jaegerOtlpGrpc: `${fqdn('jaeger', namespaces.observability)}:${observabilityPorts.otlpGrpc}`,
  jaegerUi: `http://${fqdn('jaeger', namespaces.observability)}:${observabilityPorts.jaegerUi}`,
  prometheus: `http://${fqdn('prometheus', namespaces.observability)}:${observabilityPorts.prometheus}`,
} as const;
