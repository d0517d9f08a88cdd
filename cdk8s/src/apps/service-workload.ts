/**
 * Everything one service runs as: ServiceAccount, Deployment (app container; Dapr and
 * Istio inject their sidecars), the app Service, the `<app>-invoke` Service that Dapr
 * invocation is addressed to, a PodDisruptionBudget, an HPA for hot paths, and the
 * Secrets its environment reads (Dapr tokens, database credentials): the cluster plan's
 * settings for the service, printed.
 */
import { credentialSecrets } from '@meshmart/kit/deployment/cluster-target';
import type { ServicePlan } from '@meshmart/kit/deployment/plan';
import { blobVolumeName, type Probe } from '@meshmart/kit/deployment/sidecar';
import type { ServiceSpec } from '@meshmart/kit/topology';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { clusterServicePlan } from '../cluster-plan.ts';
import type { SynthContext } from '../context.ts';
import { daprInternalPort, invokeServiceName } from '../naming.ts';
import { appUser, type Resources, releaseVersion, serviceImage } from '../settings.ts';
import { daprAnnotations, istioAnnotations, prometheusAnnotations } from './pod-annotations.ts';

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

/**
 * The plan's environment as container env. Secrets the plan reads from, in the env or
 * through the service's Dapr secret store, are created here, each holding the keys the
 * plan names, with values derived from their purposes.
 */
function containerEnv(
  scope: Construct,
  planned: ServicePlan,
  secrets: SynthContext['secrets'],
  extraSecrets: readonly string[],
): { env: Record<string, kplus.EnvValue>; secretsByName: Map<string, kplus.Secret> } {
  const data = new Map<string, Record<string, string>>(extraSecrets.map((name) => [name, {}]));
  for (const { source } of [...planned.env, ...planned.storedSecrets]) {
    if (!('secret' in source)) continue;
    const { name, key, purpose } = source.secret;
    data.set(name, { ...data.get(name), [key]: secrets.value(purpose) });
  }
  const secretsByName = new Map(
    [...data].map(([name, stringData]) => [name, new kplus.Secret(scope, name, { metadata: { name }, stringData })]),
  );
  const env: Record<string, kplus.EnvValue> = {};
  for (const { name, source } of planned.env) {
    if ('value' in source) env[name] = kplus.EnvValue.fromValue(source.value);
    else if ('secret' in source) {
      const secret = secretsByName.get(source.secret.name) as kplus.Secret;
      env[name] = kplus.EnvValue.fromSecretValue({ secret, key: source.secret.key });
    } else throw new Error(`${planned.name}: ${name} is generated per run, which only the local target does`);
  }
  return { env, secretsByName };
}

export function serviceWorkload(scope: Construct, spec: ServiceSpec, ctx: SynthContext): void {
  const { sizing, secrets } = ctx;
  const name = spec.name;
  const labels = appLabels(name);
  const planned = clusterServicePlan(ctx.services, name);
  const readsSecretStore = spec.components.includes('secretstore');
  // The secretstore component may read the service's own Secret and nothing else.
  const ownSecret = credentialSecrets.own(name);
  const { env, secretsByName } = containerEnv(scope, planned, secrets, readsSecretStore ? [ownSecret] : []);

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
      annotations: {
        ...daprAnnotations(spec, planned, sizing),
        ...istioAnnotations(sizing),
        ...prometheusAnnotations(planned),
      },
    },
    securityContext: { ensureNonRoot: true, user: appUser, group: appUser, fsGroup: appUser },
    terminationGracePeriod: Duration.seconds(30),
    ...(spec.scalesOut ? {} : { replicas: 1 }),
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: name } }));
  addRuntimeDefaultSeccomp(deployment);

  const own = secretsByName.get(ownSecret);
  if (readsSecretStore && own) {
    const role = new kplus.Role(scope, `${name}-secret-reader`, { metadata: { name: `${name}-secret-reader` } });
    role.allow(['get'], own);
    new kplus.RoleBinding(scope, `${name}-secret-reader-binding`, {
      metadata: { name: `${name}-secret-reader` },
      role,
    }).addSubjects(serviceAccount);
  }

  const { ports, probes } = planned;
  const probe = (p: Probe) =>
    kplus.Probe.fromHttpGet(p.path, {
      port: p.port,
      periodSeconds: Duration.seconds(p.periodSeconds),
      failureThreshold: p.failureThreshold,
    });
  const container = deployment.addContainer({
    name,
    image: serviceImage(name),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ports: [
      { number: ports.app, name: spec.appProtocol === 'grpc' ? 'grpc' : 'http' },
      ...(ports.admin === undefined ? [] : [{ number: ports.admin, name: 'http-admin' }]),
    ],
    envVariables: env,
    liveness: probe(probes.liveness),
    readiness: probe(probes.readiness),
    startup: probe(probes.startup),
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
      { port: ports.app, targetPort: ports.app, name: spec.appProtocol === 'grpc' ? 'grpc' : 'http' },
      ...(ports.admin === undefined ? [] : [{ port: ports.admin, targetPort: ports.admin, name: 'http-admin' }]),
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
