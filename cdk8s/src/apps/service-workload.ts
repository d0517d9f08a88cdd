/**
 * Everything one service runs as: ServiceAccount, Deployment (app container; Dapr and
 * Istio inject their sidecars), the app Service, the `<app>-invoke` Service that Dapr
 * invocation is addressed to, a PodDisruptionBudget, an HPA for hot paths, its Dapr
 * token Secrets and database credentials.
 */
import type { ServiceSpec } from '@meshmart/kit/topology';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { adminPortOf, type SynthContext } from '../context.ts';
import { credentials, ports, secretPurpose, storeHost } from '../data/stores.ts';
import { appApiTokenSecret, daprApiTokenSecret, daprInternalPort, invokeServiceName } from '../naming.ts';
import { observabilityEndpoints } from '../observability/endpoints.ts';
import { serviceSettings } from '../service-settings.ts';
import { appUser, type Resources, releaseVersion, serviceImage } from '../settings.ts';
import { blobVolumeName, daprAnnotations, istioAnnotations, prometheusAnnotations } from './pod-annotations.ts';

export function appLabels(name: string): Record<string, string> {
  return {
    app: name,
    version: releaseVersion,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/version': releaseVersion,
    'app.kubernetes.io/part-of': 'meshmart',
  };
}

export function containerResources(r: Resources): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.units(cpuUnits(r.cpuRequest)), limit: kplus.Cpu.units(cpuUnits(r.cpuLimit)) },
    memory: { request: Size.mebibytes(mebibytes(r.memoryRequest)), limit: Size.mebibytes(mebibytes(r.memoryLimit)) },
  };
}

function cpuUnits(value: string): number {
  return value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : Number(value);
}

function mebibytes(value: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(value);
  if (!match) throw new Error(`memory "${value}" must be in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

/** The restricted container profile every app container runs with. */
export function restrictedSecurityContext(user: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user,
    group: user,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    // cdk8s-plus-27's Capability enum lacks the `ALL` value Kubernetes accepts.
    capabilities: { drop: ['ALL' as kplus.Capability] },
  };
}

/** Seccomp is not modelled by cdk8s-plus; RuntimeDefault is what restricted pods need. */
export function addRuntimeDefaultSeccomp(workload: Construct): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  );
}

export function serviceWorkload(scope: Construct, spec: ServiceSpec, ctx: SynthContext): void {
  const { sizing, secrets } = ctx;
  const name = spec.name;
  const labels = appLabels(name);
  const settings = serviceSettings(name, secrets);
  const readsSecretStore = spec.components.includes('secretstore');

  const daprApiToken = new kplus.Secret(scope, `${name}-dapr-api-token`, {
    metadata: { name: daprApiTokenSecret(name) },
    stringData: { token: secrets.value(`dapr-api-token/${name}`) },
  });
  const appApiToken = new kplus.Secret(scope, `${name}-app-api-token`, {
    metadata: { name: appApiTokenSecret(name) },
    stringData: { token: secrets.value(`app-api-token/${name}`) },
  });

  const serviceAccount = new kplus.ServiceAccount(scope, `${name}-sa`, {
    metadata: { name, labels },
    // daprd's Kubernetes secret store authenticates with the pod's token; pods that
    // do not use it get no token at all.
    automountToken: readsSecretStore,
  });

  const deployment = new kplus.Deployment(scope, `${name}-deployment`, {
    metadata: { name, labels },
    select: false,
    serviceAccount,
    automountServiceAccountToken: readsSecretStore,
    podMetadata: {
      labels,
      annotations: { ...daprAnnotations(spec, sizing), ...istioAnnotations(sizing), ...prometheusAnnotations(spec) },
    },
    securityContext: { ensureNonRoot: true, user: appUser, group: appUser, fsGroup: appUser },
    terminationGracePeriod: Duration.seconds(30),
    ...(spec.scalesOut ? {} : { replicas: 1 }),
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: name } }));
  addRuntimeDefaultSeccomp(deployment);

  const adminPort = adminPortOf(spec);
  const env: Record<string, kplus.EnvValue> = {
    PORT: kplus.EnvValue.fromValue(String(spec.port)),
    DAPR_API_TOKEN: kplus.EnvValue.fromSecretValue({ secret: daprApiToken, key: 'token' }),
    APP_API_TOKEN: kplus.EnvValue.fromSecretValue({ secret: appApiToken, key: 'token' }),
    REQUIRE_DAPR_TOKENS: kplus.EnvValue.fromValue('true'),
    OTEL_EXPORTER_OTLP_ENDPOINT: kplus.EnvValue.fromValue(observabilityEndpoints.otlpHttp),
    // Requests arrive sampled or not by the ingress gateway and are followed; the ratio
    // applies to traces an app starts itself (outbox relay, saga recovery).
    OTEL_TRACES_SAMPLER: kplus.EnvValue.fromValue('parentbased_traceidratio'),
    OTEL_TRACES_SAMPLER_ARG: kplus.EnvValue.fromValue('1'),
    OTEL_RESOURCE_ATTRIBUTES: kplus.EnvValue.fromValue('deployment.environment.name=cluster,service.namespace=meshmart'),
    LOG_LEVEL: kplus.EnvValue.fromValue('info'),
  };
  if (spec.appProtocol === 'grpc') env.ADMIN_PORT = kplus.EnvValue.fromValue(String(adminPort));
  for (const [key, value] of Object.entries(settings.env)) env[key] = kplus.EnvValue.fromValue(value);

  if (spec.postgresDatabase) {
    const db = spec.postgresDatabase;
    const pgSecret = new kplus.Secret(scope, `${name}-postgres`, {
      metadata: { name: credentials.appPostgres(name) },
      stringData: { password: secrets.value(secretPurpose.postgresRole(db)) },
    });
    // Kubernetes expands $(DATABASE_PASSWORD) because it is declared before DATABASE_URL.
    env.DATABASE_PASSWORD = kplus.EnvValue.fromSecretValue({ secret: pgSecret, key: 'password' });
    env.DATABASE_URL = kplus.EnvValue.fromValue(
      `postgres://${db}:$(DATABASE_PASSWORD)@${storeHost('postgres')}:${ports.postgres}/${db}`,
    );
  }
  if (spec.mongoDatabase) {
    const db = spec.mongoDatabase;
    const mongoSecret = new kplus.Secret(scope, `${name}-mongo`, {
      metadata: { name: credentials.appMongo(name) },
      stringData: { password: secrets.value(secretPurpose.mongoUser(db)) },
    });
    env.MONGO_PASSWORD = kplus.EnvValue.fromSecretValue({ secret: mongoSecret, key: 'password' });
    env.MONGO_URL = kplus.EnvValue.fromValue(
      `mongodb://${db}:$(MONGO_PASSWORD)@${storeHost('mongo')}:${ports.mongo}/${db}?authSource=${db}`,
    );
  }

  if (readsSecretStore || Object.keys(settings.secretEnv).length > 0) {
    const own = new kplus.Secret(scope, `${name}-secrets`, {
      metadata: { name: `${name}-secrets` },
      stringData: settings.secretEnv,
    });
    for (const key of Object.keys(settings.secretEnv)) {
      env[key] = kplus.EnvValue.fromSecretValue({ secret: own, key });
    }
    if (readsSecretStore) {
      // The secretstore component may read this one Secret and nothing else.
      const role = new kplus.Role(scope, `${name}-secret-reader`, { metadata: { name: `${name}-secret-reader` } });
      role.allow(['get'], own);
      new kplus.RoleBinding(scope, `${name}-secret-reader-binding`, {
        metadata: { name: `${name}-secret-reader` },
        role,
      }).addSubjects(serviceAccount);
    }
  }

  const container = deployment.addContainer({
    name,
    image: serviceImage(name),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ports: [
      { number: spec.port, name: spec.appProtocol === 'grpc' ? 'grpc' : 'http' },
      ...(spec.appProtocol === 'grpc' ? [{ number: adminPort, name: 'http-admin' }] : []),
    ],
    envVariables: env,
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: adminPort, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: adminPort, periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
    startup: kplus.Probe.fromHttpGet('/healthz', { port: adminPort, periodSeconds: Duration.seconds(2), failureThreshold: 60 }),
    resources: containerResources(sizing.app),
    securityContext: restrictedSecurityContext(appUser),
  });
  container.mount('/tmp', kplus.Volume.fromEmptyDir(scope, `${name}-tmp`, 'tmp', { sizeLimit: Size.mebibytes(64) }));

  if (spec.components.includes('blobstore')) {
    const claim = new kplus.PersistentVolumeClaim(scope, `${name}-blobs`, {
      metadata: { name: `${name}-blobs` },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(1),
    });
    // Only daprd mounts it (dapr.io/volume-mounts-rw): the app reaches blobs through the binding.
    deployment.addVolume(kplus.Volume.fromPersistentVolumeClaim(scope, `${name}-blob-volume`, claim, { name: blobVolumeName }));
  }

  new kplus.Service(scope, `${name}-service`, {
    metadata: { name, labels },
    ports: [
      { port: spec.port, targetPort: spec.port, name: spec.appProtocol === 'grpc' ? 'grpc' : 'http' },
      ...(spec.appProtocol === 'grpc' ? [{ port: adminPort, targetPort: adminPort, name: 'http-admin' }] : []),
    ],
  }).selectLabel('app', name);

  new kplus.Service(scope, `${name}-invoke`, {
    metadata: { name: invokeServiceName(name), labels },
    // The grpc- prefix makes Istio treat the hop as HTTP/2, so routing, retries and
    // outlier detection work per request rather than per TCP connection.
    ports: [{ port: daprInternalPort, targetPort: daprInternalPort, name: 'grpc-dapr-invoke' }],
  }).selectLabel('app', name);

  new kplus.k8s.KubePodDisruptionBudget(scope, `${name}-pdb`, {
    metadata: { name, labels },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: { app: name } } },
  });

  if (spec.scalesOut) {
    new kplus.HorizontalPodAutoscaler(scope, `${name}-hpa`, {
      metadata: { name },
      target: deployment,
      minReplicas: sizing.scaleOut.min,
      maxReplicas: sizing.scaleOut.max,
      // Scale on the app container alone: sidecar CPU would blur the signal.
      metrics: [kplus.Metric.containerCpu({ container, target: kplus.MetricTarget.averageUtilization(70) })],
    });
  }
}
