/**
 * Pod annotations that wire a service into Dapr, Istio and Prometheus. Names are the
 * ones Dapr 1.17's sidecar injector and Istio's injector read; see docs/cluster.md.
 */
import type { ServiceSpec } from '@meshmart/kit/topology';
import { adminPortOf } from '../context.ts';
import { appApiTokenSecret, daprApiTokenSecret, daprHealthPort, daprMetricsPort } from '../naming.ts';
import type { Sizing } from '../settings.ts';

export const daprConfigName = 'meshmart';
/** Where daprd mounts the blob volume for the `blobstore` (bindings.localstorage) component. */
export const blobMountPath = '/var/lib/meshmart/blobs';
export const blobVolumeName = 'blobstore';

export function daprAnnotations(spec: ServiceSpec, sizing: Sizing): Record<string, string> {
  const annotations: Record<string, string> = {
    'dapr.io/enabled': 'true',
    'dapr.io/app-id': spec.name,
    'dapr.io/app-port': String(spec.port),
    'dapr.io/app-protocol': spec.appProtocol,
    'dapr.io/config': daprConfigName,
    'dapr.io/enable-metrics': 'true',
    'dapr.io/metrics-port': String(daprMetricsPort),
    'dapr.io/log-as-json': 'true',
    'dapr.io/api-token-secret': daprApiTokenSecret(spec.name),
    'dapr.io/app-token-secret': appApiTokenSecret(spec.name),
    'dapr.io/sidecar-cpu-request': sizing.daprd.cpuRequest,
    'dapr.io/sidecar-cpu-limit': sizing.daprd.cpuLimit,
    'dapr.io/sidecar-memory-request': sizing.daprd.memoryRequest,
    'dapr.io/sidecar-memory-limit': sizing.daprd.memoryLimit,
    // No jobs, workflows or actor reminders: an empty address keeps daprd from dialling a
    // scheduler and from counting it in its health, even where the control plane runs one.
    // (Placement has no such per-pod switch in Dapr 1.17: the injector fills an empty
    // address in, so scripts/kind-up.sh installs Dapr with actors off instead.)
    'dapr.io/scheduler-host-address': '',
    // The app reaches secrets through the scoped `secretstore` component only.
    'dapr.io/disable-builtin-k8s-secret-store': 'true',
    // daprd's health and metrics ports are plain HTTP for kubelet and Prometheus, which
    // have no mesh identity; the Dapr API ports listen on localhost only.
    'traffic.sidecar.istio.io/excludeInboundPorts': `${daprHealthPort},${daprMetricsPort}`,
  };
  if (spec.appProtocol === 'http') {
    // Lets daprd stop pub/sub deliveries while the app is unhealthy. gRPC apps are left
    // out: Dapr would probe them through the AppCallbackHealthCheck service they lack.
    annotations['dapr.io/enable-app-health-check'] = 'true';
    annotations['dapr.io/app-health-check-path'] = '/healthz';
  }
  if (spec.components.includes('blobstore')) {
    annotations['dapr.io/volume-mounts-rw'] = `${blobVolumeName}:${blobMountPath}`;
  }
  return annotations;
}

export function istioAnnotations(sizing: Sizing): Record<string, string> {
  return {
    // istio-proxy runs as a Kubernetes native sidecar: it is started and ready before
    // daprd and the app start, and stops after them, so neither sees a network without
    // its proxy. holdApplicationUntilProxyStarts covers clusters without native sidecars.
    'sidecar.istio.io/nativeSidecar': 'true',
    'proxy.istio.io/config': JSON.stringify({ holdApplicationUntilProxyStarts: true }),
    'sidecar.istio.io/proxyCPU': sizing.istioProxy.cpuRequest,
    'sidecar.istio.io/proxyCPULimit': sizing.istioProxy.cpuLimit,
    'sidecar.istio.io/proxyMemory': sizing.istioProxy.memoryRequest,
    'sidecar.istio.io/proxyMemoryLimit': sizing.istioProxy.memoryLimit,
  };
}

/**
 * Istio's injector moves these to its merged endpoint (:15020/stats/prometheus), which
 * serves Envoy's and the app's metrics together over plain HTTP despite STRICT mTLS.
 */
export function prometheusAnnotations(spec: ServiceSpec): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(adminPortOf(spec)),
    'prometheus.io/path': '/metrics',
  };
}
