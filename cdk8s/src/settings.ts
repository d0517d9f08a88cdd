/**
 * Cluster-wide facts the topology does not carry: pinned versions, images and the
 * resource budget of each size profile (namespaces and addresses are the deployment
 * plan's, services/kit/src/deployment/cluster-target.ts). Everything per service comes from
 * `@meshmart/kit/topology`.
 */

import { readFileSync } from 'node:fs';

export { clusterDomain, namespaces } from '@meshmart/kit/deployment/cluster-target';

/** Istio's SPIFFE trust domain; principals are `<trustDomain>/ns/<ns>/sa/<sa>`. */
export const trustDomain = 'cluster.local';

/** Dapr control plane release the cluster runs (Helm chart of the same version). */
export const daprVersion = '1.17.13';
/**
 * Istio minor the cluster runs: the one whose CRDs, istiod and istioctl the cluster test
 * level builds and runs (tools/istio: the release-1.31 snapshot the Go module proxy
 * serves; it serves no buildable tagged 1.29 or 1.30), and that kind-up.sh expects.
 */
export const istioVersion = '1.31';
/** Kubernetes minor of kind v0.33's default node image, and of the API server the tests run. */
export const kubernetesVersion = '1.37';

/** Third-party images, pinned so a `skaffold dev` next month deploys the same thing. */
export const images = {
  postgres: 'postgres:17.5-alpine',
  mongo: 'mongo:8.0.9',
  redis: 'redis:7.4.4-alpine',
  rabbitmq: 'rabbitmq:4.1.1-management',
  mailpit: 'axllent/mailpit:v1.25.0',
  otelCollector: 'otel/opentelemetry-collector:0.128.0',
  jaeger: 'jaegertracing/jaeger:2.7.0',
  prometheus: 'prom/prometheus:v3.4.2',
  grafana: 'grafana/grafana:12.0.2',
  /** The load Job's (load/load-job.ts); the release scripts/setup/load-tool.sh installs. */
  artillery: 'artilleryio/artillery:2.0.34',
} as const;

/** Image name skaffold builds for a service and substitutes with the tagged build. */
/**
 * The release every meshmart service is built from (the root package.json's version):
 * the `version` label Istio's telemetry reads as the workload's canonical revision.
 */
export const releaseVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** An image's tag, for the `version` label of third-party workloads. */
export function imageTag(image: string): string {
  return image.slice(image.lastIndexOf(':') + 1);
}

export function serviceImage(service: string): string {
  return `meshmart/${service}`;
}

/** The distroless runtime image's non-root user (see Dockerfile). */
export const appUser = 65532;

export interface Resources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

export interface Sizing {
  name: SizeName;
  app: Resources;
  daprd: Resources;
  istioProxy: Resources;
  /** Replica bounds for services the topology marks `scalesOut`. */
  scaleOut: { min: number; max: number };
  postgres: Resources;
  mongo: Resources;
  redis: Resources;
  rabbitmq: Resources;
  small: Resources;
  prometheus: Resources & { retention: string };
  jaeger: Resources & { maxTraces: number };
}

export const sizeNames = ['default', 'small'] as const;
export type SizeName = (typeof sizeNames)[number];

function res(cpuRequest: string, cpuLimit: string, memoryRequest: string, memoryLimit: string): Resources {
  return { cpuRequest, cpuLimit, memoryRequest, memoryLimit };
}

/**
 * Requests are what the scheduler reserves on the kind node, so they are kept low enough
 * for the whole system to fit the budget docs/cluster.md states; limits leave headroom
 * for bursts such as argon2 hashing at login.
 */
export const sizings: Record<SizeName, Sizing> = {
  default: {
    name: 'default',
    app: res('50m', '1', '96Mi', '384Mi'),
    daprd: res('25m', '500m', '48Mi', '256Mi'),
    istioProxy: res('20m', '500m', '48Mi', '256Mi'),
    scaleOut: { min: 2, max: 4 },
    postgres: res('100m', '1', '192Mi', '512Mi'),
    mongo: res('100m', '1', '256Mi', '768Mi'),
    redis: res('25m', '500m', '32Mi', '192Mi'),
    rabbitmq: res('100m', '1', '192Mi', '512Mi'),
    small: res('10m', '200m', '24Mi', '128Mi'),
    prometheus: { ...res('100m', '1', '256Mi', '1Gi'), retention: '2d' },
    jaeger: { ...res('50m', '500m', '128Mi', '512Mi'), maxTraces: 50_000 },
  },
  small: {
    name: 'small',
    app: res('25m', '500m', '64Mi', '256Mi'),
    daprd: res('10m', '300m', '32Mi', '160Mi'),
    istioProxy: res('10m', '300m', '32Mi', '160Mi'),
    scaleOut: { min: 1, max: 2 },
    postgres: res('50m', '500m', '128Mi', '384Mi'),
    mongo: res('50m', '500m', '192Mi', '512Mi'),
    redis: res('10m', '250m', '24Mi', '128Mi'),
    rabbitmq: res('50m', '500m', '160Mi', '384Mi'),
    small: res('5m', '100m', '16Mi', '96Mi'),
    prometheus: { ...res('50m', '500m', '192Mi', '512Mi'), retention: '12h' },
    jaeger: { ...res('25m', '250m', '64Mi', '256Mi'), maxTraces: 10_000 },
  },
};

/**
 * Each store's volume claim, the same in every size: a StatefulSet's volumeClaimTemplates
 * cannot change once created, so a size that asked for less would fail to apply over
 * the other (skaffold run, then skaffold run -p small).
 */
export const dataVolumeSize = '2Gi';

export function sizing(name: string): Sizing {
  if (!(sizeNames as readonly string[]).includes(name)) {
    throw new Error(`unknown size "${name}"; expected one of ${sizeNames.join(', ')}`);
  }
  return sizings[name as SizeName];
}
