/**
 * Facts only the cluster target has: namespaces and in-cluster DNS names, the stores'
 * standard ports, the Kubernetes Secrets credentials live in, and the fixed ports every
 * injected daprd uses. cdk8s renders these; the deployment plan points at them.
 */

export const namespaces = {
  apps: 'meshmart',
  data: 'meshmart-data',
  observability: 'meshmart-observability',
  istio: 'istio-system',
  dapr: 'dapr-system',
} as const;

export const clusterDomain = 'cluster.local';

export function fqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

export type StoreName = 'postgres' | 'mongo' | 'redis' | 'rabbitmq' | 'mailpit';

export const storePorts = {
  postgres: 5432,
  mongo: 27017,
  redis: 6379,
  amqp: 5672,
  rabbitmqManagement: 15672,
  smtp: 1025,
  mailpitUi: 8025,
} as const;

export function storeHost(store: StoreName): string {
  return fqdn(store, namespaces.data);
}

/** Secret names: the apps namespace holds what clients need, the data namespace what servers need. */
export const credentialSecrets = {
  appPostgres: (service: string) => `${service}-postgres`,
  appMongo: (service: string) => `${service}-mongo`,
  /** A service's own settings that are secret (users' admin password). */
  own: (service: string) => `${service}-secrets`,
  postgres: 'postgres-credentials',
  mongo: 'mongo-credentials',
  redis: 'redis-credentials',
  rabbitmq: 'rabbitmq-credentials',
} as const;

/**
 * Purposes the cluster's secret values are derived from (cdk8s/src/secret-values.ts),
 * shared by both sides of a connection: the server's Secret and the client's.
 */
export const secretPurpose = {
  postgresRole: (database: string) => `postgres/role/${database}`,
  postgresSuperuser: 'postgres/superuser',
  mongoUser: (database: string) => `mongo/user/${database}`,
  mongoRoot: 'mongo/root',
  redis: 'redis/password',
  rabbitmq: 'rabbitmq/password',
  daprApiToken: (app: string) => `dapr-api-token/${app}`,
  appApiToken: (app: string) => `app-api-token/${app}`,
  usersAdminPassword: 'users/admin-password',
} as const;

/** Kubernetes Secrets the Dapr injector reads (`token` key) for the app↔sidecar hop. */
export function daprApiTokenSecret(app: string): string {
  return `${app}-dapr-api-token`;
}
export function appApiTokenSecret(app: string): string {
  return `${app}-app-api-token`;
}

/** Dapr's sidecar-to-sidecar gRPC port (daprd --dapr-internal-grpc-port). */
export const daprInternalPort = 50002;
/** daprd's Prometheus port (dapr.io/metrics-port default). */
export const daprMetricsPort = 9090;
/** daprd's public health port (--dapr-public-port); kubelet probes it. */
export const daprHealthPort = 3501;

export const observabilityPorts = {
  otlpGrpc: 4317,
  otlpHttp: 4318,
  jaegerUi: 16686,
  prometheus: 9090,
  grafana: 3000,
} as const;

const collector = fqdn('otel-collector', namespaces.observability);

/** Addresses of the observability backends, shared by apps, Dapr, Istio and Grafana. */
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

/** Ports skaffold forwards to the developer's machine. */
export const forwardedPorts = {
  ingress: 8080,
  grafana: 3000,
  jaeger: 16686,
  prometheus: 9090,
  mailpit: 8025,
  rabbitmq: 15672,
} as const;

/** Where daprd mounts the blob volume for the `blobstore` (bindings.localstorage) component. */
export const blobMountPath = '/var/lib/meshmart/blobs';
