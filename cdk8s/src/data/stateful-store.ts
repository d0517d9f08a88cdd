/**
 * A single-replica StatefulSet with a PVC and a headless Service: the dev-grade shape of
 * every store here. No replication, no backups, credentials derived per checkout —
 * enough for `skaffold dev`, not for data anyone would miss.
 */
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { istioAnnotations } from '../apps/pod-annotations.ts';
import type { SynthContext } from '../context.ts';
import { dataVolumeSize, imageTag, namespaces, type Resources } from '../settings.ts';

export interface StoreContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: k8s.EnvVar[];
  ports?: Array<{ name: string; containerPort: number }>;
  volumeMounts: k8s.VolumeMount[];
  probe?: string[];
  resources: Resources;
  readOnlyRootFilesystem: boolean;
}

export interface DataStoreProps {
  name: string;
  /** The image's own unprivileged user; the volume is group-owned by it too. */
  user: number;
  dataPath: string;
  servicePorts: Array<{ name: string; port: number }>;
  containers: StoreContainer[];
  volumes?: k8s.Volume[];
}

export function quantity(value: string): k8s.Quantity {
  return k8s.Quantity.fromString(value);
}

export function resourceRequirements(r: Resources): k8s.ResourceRequirements {
  return {
    requests: { cpu: quantity(r.cpuRequest), memory: quantity(r.memoryRequest) },
    limits: { cpu: quantity(r.cpuLimit), memory: quantity(r.memoryLimit) },
  };
}

export function storeContainer(c: StoreContainer, user: number): k8s.Container {
  const probe = c.probe ? { exec: { command: c.probe }, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 6 } : undefined;
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.env ? { env: c.env } : {}),
    ...(c.ports ? { ports: c.ports } : {}),
    volumeMounts: c.volumeMounts,
    ...(probe ? { readinessProbe: probe, livenessProbe: { ...probe, initialDelaySeconds: 30 } } : {}),
    resources: resourceRequirements(c.resources),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: user,
      runAsGroup: user,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: c.readOnlyRootFilesystem,
      capabilities: { drop: ['ALL'] },
    },
  };
}

/** Every store runs in the data namespace with the same volume size and mesh sidecar settings. */
export function dataStore(scope: Construct, ctx: SynthContext, props: DataStoreProps): void {
  const namespace = namespaces.data;
  const labels = {
    app: props.name,
    version: imageTag(props.containers[0]?.image ?? ''),
    'app.kubernetes.io/name': props.name,
    'app.kubernetes.io/part-of': 'meshmart',
  };
  new k8s.KubeService(scope, `${props.name}-service`, {
    metadata: { name: props.name, namespace, labels },
    spec: {
      clusterIp: 'None',
      selector: { app: props.name },
      ports: props.servicePorts.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromNumber(p.port) })),
    },
  });
  new k8s.KubeStatefulSet(scope, `${props.name}-statefulset`, {
    metadata: { name: props.name, namespace, labels },
    spec: {
      serviceName: props.name,
      replicas: 1,
      selector: { matchLabels: { app: props.name } },
      template: {
        metadata: { labels, annotations: istioAnnotations(ctx.sizing) },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: props.user,
            runAsGroup: props.user,
            fsGroup: props.user,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          automountServiceAccountToken: false,
          containers: props.containers.map((c) => storeContainer(c, props.user)),
          ...(props.volumes ? { volumes: props.volumes } : {}),
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: quantity(dataVolumeSize) } } },
        },
      ],
    },
  });
}
