/**
 * Pod annotations that wire a service into Dapr, Istio and Prometheus. Names are the
 * ones Dapr 1.17's sidecar injector and Istio's injector read; see docs/cluster.md.
 */
import { blobMountPath } from '@meshmart/kit/deployment/cluster-target';
import type { ServicePlan } from '@meshmart/kit/deployment/plan';
import { blobVolumeName } from '@meshmart/kit/deployment/sidecar';
import type { ServiceSpec } from '@meshmart/kit/topology';
import { appApiTokenSecret, daprApiTokenSecret, daprHealthPort, daprMetricsPort } from '../naming.ts';
import type { Sizing } from '../settings.ts';

/** The cluster plan's sidecar settings as the annotations Dapr's injector reads. */
export function daprAnnotations(spec: ServiceSpec, planned: ServicePlan, sizing: Sizing): Record<string, string> {
  const { sidecar } = planned;
  const annotations: Record<string, string> = {
    'dapr.io/enabled': 'true',
    'dapr.io/app-id': sidecar.appId,
    'dapr.io/app-port': String(sidecar.appPort),
    'dapr.io/app-protocol': sidecar.appProtocol,
    'dapr.io/config': sidecar.config,
    'dapr.io/enable-metrics': 'true',
    'dapr.io/metrics-port': String(sidecar.metricsPort),
    'dapr.io/log-as-json': String(sidecar.logAsJson),
    'dapr.io/api-token-secret': daprApiTokenSecret(spec.name),
    'dapr.io/app-token-secret': appApiTokenSecret(spec.name),
    'dapr.io/sidecar-cpu-request': sizing.daprd.cpuRequest,
    'dapr.io/sidecar-cpu-limit': sizing.daprd.cpuLimit,
    'dapr.io/sidecar-memory-request': sizing.daprd.memoryRequest,
    'dapr.io/sidecar-memory-limit': sizing.daprd.memoryLimit,
    'dapr.io/env': Object.entries(sidecar.env)
      .map(([name, value]) => `${name}=${value}`)
      .join(','),
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
  if (sidecar.appHealthCheck) {
    annotations['dapr.io/enable-app-health-check'] = 'true';
    annotations['dapr.io/app-health-check-path'] = sidecar.appHealthCheck.path;
    annotations['dapr.io/app-health-probe-interval'] = String(sidecar.appHealthCheck.intervalSeconds);
    annotations['dapr.io/app-health-probe-timeout'] = String(sidecar.appHealthCheck.timeoutMs);
    annotations['dapr.io/app-health-threshold'] = String(sidecar.appHealthCheck.threshold);
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
export function prometheusAnnotations(planned: ServicePlan): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(planned.ports.probe),
    'prometheus.io/path': '/metrics',
  };
}
