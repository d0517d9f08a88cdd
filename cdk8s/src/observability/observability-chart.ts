/**
 * OpenTelemetry Collector, Jaeger, Prometheus and Grafana, outside the mesh: they must
 * accept plain connections from kubelet, from every sidecar and from `kubectl
 * port-forward`, and hold no data worth mTLS. Storage is in memory or emptyDir (dev-grade).
 */
import { createHash } from 'node:crypto';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { addRuntimeDefaultSeccomp, containerResources, restrictedSecurityContext } from '../apps/service-workload.ts';
import type { SynthContext } from '../context.ts';
import { images, imageTag, namespaces, type Resources } from '../settings.ts';
import { collectorConfig, jaegerConfig } from './collector-config.ts';
import { observabilityEndpoints, observabilityPorts } from './endpoints.ts';
import { grafanaAdminSecret, grafanaProvisioning } from './grafana-provisioning.ts';
import { prometheusConfig } from './prometheus-config.ts';

const ns = namespaces.observability;

interface BackendProps {
  name: string;
  image: string;
  user: number;
  args?: string[];
  ports: Array<{ name: string; port: number }>;
  /** Port whose readiness stands for the whole backend. */
  probe: kplus.Probe;
  resources: Resources;
  /** Files rendered into a ConfigMap and mounted at `mountPath`. */
  config?: { mountPath: string; files: Record<string, string> };
  writablePaths: string[];
  env?: Record<string, kplus.EnvValue>;
  serviceAccount?: kplus.IServiceAccount;
}

function checksum(files: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
}

function backend(scope: Construct, props: BackendProps): kplus.Deployment {
  const labels = { app: props.name, version: imageTag(props.image), 'app.kubernetes.io/part-of': 'meshmart' };
  const deployment = new kplus.Deployment(scope, props.name, {
    metadata: { name: props.name, namespace: ns, labels },
    select: false,
    replicas: 1,
    automountServiceAccountToken: props.serviceAccount !== undefined,
    ...(props.serviceAccount ? { serviceAccount: props.serviceAccount } : {}),
    podMetadata: {
      labels,
      // A changed config file rolls the pod; none of these reload reliably on their own.
      annotations: props.config ? { 'meshmart.io/config-checksum': checksum(props.config.files) } : {},
    },
    securityContext: { ensureNonRoot: true, user: props.user, group: props.user, fsGroup: props.user },
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: props.name } }));
  addRuntimeDefaultSeccomp(deployment);
  const container = deployment.addContainer({
    name: props.name,
    image: props.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ...(props.args ? { args: props.args } : {}),
    ports: props.ports.map((p) => ({ number: p.port, name: p.name })),
    readiness: props.probe,
    liveness: props.probe,
    startup: props.probe,
    resources: containerResources(props.resources),
    securityContext: restrictedSecurityContext(props.user),
    ...(props.env ? { envVariables: props.env } : {}),
  });
  if (props.config) {
    const configMap = new kplus.ConfigMap(scope, `${props.name}-config`, {
      metadata: { name: `${props.name}-config`, namespace: ns },
      data: props.config.files,
    });
    container.mount(props.config.mountPath, kplus.Volume.fromConfigMap(scope, `${props.name}-config-volume`, configMap));
  }
  props.writablePaths.forEach((path, i) => {
    container.mount(path, kplus.Volume.fromEmptyDir(scope, `${props.name}-scratch-${i}`, `scratch-${i}`));
  });
  new kplus.Service(scope, `${props.name}-service`, {
    metadata: { name: props.name, namespace: ns, labels },
    ports: props.ports.map((p) => ({ port: p.port, targetPort: p.port, name: p.name })),
  }).selectLabel('app', props.name);
  return deployment;
}

/** The collector receives OTLP from the apps on these, and Jaeger from the collector. */
const otlpReceiverPorts = [
  { name: 'grpc-otlp', port: observabilityPorts.otlpGrpc },
  { name: 'http-otlp', port: observabilityPorts.otlpHttp },
];

const tcpProbe = (port: number) => kplus.Probe.fromTcpSocket({ port, periodSeconds: Duration.seconds(10), failureThreshold: 6 });

export function observability(scope: Construct, ctx: SynthContext): void {
  const { sizing } = ctx;

  backend(scope, {
    name: 'otel-collector',
    image: images.otelCollector,
    user: 10001,
    args: ['--config=/etc/otelcol/config.yaml'],
    ports: otlpReceiverPorts,
    probe: tcpProbe(observabilityPorts.otlpHttp),
    resources: sizing.small,
    config: { mountPath: '/etc/otelcol', files: { 'config.yaml': collectorConfig() } },
    writablePaths: [],
  });

  backend(scope, {
    name: 'jaeger',
    image: images.jaeger,
    user: 10001,
    args: ['--config=/etc/jaeger/config.yaml'],
    ports: [...otlpReceiverPorts, { name: 'http-ui', port: observabilityPorts.jaegerUi }],
    probe: tcpProbe(observabilityPorts.jaegerUi),
    resources: sizing.jaeger,
    config: { mountPath: '/etc/jaeger', files: { 'config.yaml': jaegerConfig(sizing.jaeger.maxTraces) } },
    writablePaths: ['/tmp'],
  });

  const prometheusAccount = new kplus.ServiceAccount(scope, 'prometheus-sa', {
    metadata: { name: 'prometheus', namespace: ns },
  });
  const discovery = new kplus.ClusterRole(scope, 'prometheus-discovery', { metadata: { name: 'meshmart-prometheus' } });
  discovery.allowRead(kplus.ApiResource.PODS, kplus.ApiResource.SERVICES, kplus.ApiResource.ENDPOINTS);
  discovery.bind(prometheusAccount);
  backend(scope, {
    name: 'prometheus',
    image: images.prometheus,
    user: 65534,
    args: [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      `--storage.tsdb.retention.time=${sizing.prometheus.retention}`,
    ],
    ports: [{ name: 'http', port: observabilityPorts.prometheus }],
    probe: kplus.Probe.fromHttpGet('/-/ready', { port: observabilityPorts.prometheus }),
    resources: sizing.prometheus,
    config: { mountPath: '/etc/prometheus', files: { 'prometheus.yml': prometheusConfig() } },
    writablePaths: ['/prometheus'],
    serviceAccount: prometheusAccount,
  });

  const admin = grafanaAdminSecret(scope, ctx);
  const grafana = backend(scope, {
    name: 'grafana',
    image: images.grafana,
    user: 472,
    ports: [{ name: 'http', port: observabilityPorts.grafana }],
    probe: kplus.Probe.fromHttpGet('/api/health', { port: observabilityPorts.grafana }),
    resources: sizing.small,
    writablePaths: ['/var/lib/grafana', '/tmp'],
    env: {
      GF_SECURITY_ADMIN_USER: kplus.EnvValue.fromValue('admin'),
      GF_SECURITY_ADMIN_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: admin, key: 'password' }),
      // Anyone who can port-forward may look; editing needs the admin password.
      GF_AUTH_ANONYMOUS_ENABLED: kplus.EnvValue.fromValue('true'),
      GF_AUTH_ANONYMOUS_ORG_ROLE: kplus.EnvValue.fromValue('Viewer'),
      GF_ANALYTICS_REPORTING_ENABLED: kplus.EnvValue.fromValue('false'),
      GF_ANALYTICS_CHECK_FOR_UPDATES: kplus.EnvValue.fromValue('false'),
    },
  });
  grafanaProvisioning(scope, grafana, ctx, {
    prometheusUrl: observabilityEndpoints.prometheus,
    jaegerUrl: observabilityEndpoints.jaegerUi,
  });
}
