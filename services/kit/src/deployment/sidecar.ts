/**
 * How each app's daprd is set up, and the ports and probes of the app: printed as daprd
 * flags (and dapr.yaml fields) locally and as pod annotations and probes in the cluster.
 */
import type { AppProtocol, ServiceSpec } from '../topology.ts';
import { daprMetricsPort } from './cluster-target.ts';
import type { LocalServicePorts } from './local-target.ts';
import { byTarget, type Explained, type PerTarget, resolve, same, type Target } from './target.ts';

/** The Configuration every sidecar loads (`--config` / dapr.io/config). */
export const daprConfigName = 'meshmart';
/**
 * The Configuration's `metric.http` block, the same in both targets. Path-level HTTP
 * metrics stay off: one series per URL would follow every id in the API's paths (a short
 * code, a product id), and in legacy mode daprd also normalises each path and records a
 * third server series per request. Dapr 1.17 still defaults to on (its code warns the
 * default will change), so it is said explicitly. The dashboards aggregate the HTTP
 * series by app and status only, which both modes carry.
 */
export const daprHttpMetrics = { increasedCardinality: false } as const;

/** Where daprd finds the blob volume in the cluster (dapr.io/volume-mounts-rw). */
export const blobVolumeName = 'blobstore';

export interface SidecarPlan {
  appId: string;
  appPort: number;
  appProtocol: AppProtocol;
  config: string;
  metricsPort: number;
  logAsJson: boolean;
  /**
   * Lets daprd stop pub/sub deliveries while the app is unhealthy. gRPC apps are left out:
   * Dapr would probe them through the AppCallbackHealthCheck service they lack; their
   * health lives on the admin port.
   */
  appHealthCheck?: AppHealthCheck;
  /** The sidecar API ports the app dials; absent where daprd keeps its defaults. */
  apiPorts?: { http: number; grpc: number; internalGrpc: number };
  /** Environment of daprd itself (not the app's): Go runtime settings. */
  env: Record<string, string>;
}

/**
 * One scheduler thread per daprd. Go's default is one per core, and an idle one spins
 * looking for work and is woken through futexes for every hand-off between goroutines; a
 * sidecar's request is a chain of such hand-offs (HTTP server, gRPC transport, app
 * channel, metrics worker). With 13 sidecars beside their apps on two cores that was about
 * a quarter of each sidecar's CPU per invocation (docs/performance.md). In the cluster daprd
 * already derives 1 from its CPU limit (automaxprocs, limits under one core); saying it
 * keeps both targets on one setting whatever the limit becomes.
 */
export const daprdRuntimeEnv: Readonly<Record<string, string>> = { GOMAXPROCS: '1' };

/**
 * daprd's probe of the app. Deliveries pulled while the app is down are retried within
 * the delivery budget (resiliency.ts) and then dead-lettered; probing every second and
 * calling the app down after three misses stops the pulling within about three seconds, so
 * what a stopped app has not consumed stays queued in the broker until it is back.
 * daprd's defaults (5 s, 3 misses) kept pulling for up to 15 s.
 *
 * An app daprd calls down also gets no HTTP service invocation (gRPC through daprd's
 * proxy is not checked): daprd answers its callers itself, 500 "app is not in a healthy
 * state", and stops and later restarts the app's subscriptions. So a busy app must not
 * look down: each probe may take the whole second (daprd refuses a timeout longer than
 * the interval; its default of 500 ms failed /healthz on a loaded 2-core machine), and it
 * takes three misses, not two. Not three in a row, whatever Dapr's docs say: daprd 1.17
 * (pkg/apphealth) resets its count of misses only when an app it had called down answers
 * again, so a probe that succeeds after one miss leaves the count where it was, and every
 * third slow /healthz, however far apart, calls the app down until a probe succeeds
 * again: the next one starts at once, so usually for well under a second.
 */
export const appHealthProbe = { intervalSeconds: 1, timeoutMs: 1000, threshold: 3 } as const;

/**
 * Where daprd probes an HTTP app: a path of its own, answered like /healthz, so that the
 * app can tell its sidecar's probe from kubelet's and knows when daprd has started
 * passing calls to it (sidecar-readiness.ts).
 */
export const SIDECAR_PROBE_PATH = '/healthz/sidecar';

export interface AppHealthCheck {
  path: typeof SIDECAR_PROBE_PATH;
  intervalSeconds: number;
  timeoutMs: number;
  threshold: number;
}

export interface Probe {
  path: '/healthz' | '/readyz';
  port: number;
  periodSeconds: number;
  failureThreshold: number;
}

export interface AppPorts {
  /** The app port (the sidecar's --app-port). */
  app: number;
  /** Where /healthz, /readyz and /metrics answer: the app port unless it speaks only gRPC. */
  probe: number;
  /** Plain-HTTP admin port of apps whose app port speaks only gRPC. */
  admin?: number;
}

const address = (why: string): Explained => ({ reason: 'address', why });

function sidecarSettings(spec: ServiceSpec, local: LocalServicePorts): Record<string, PerTarget<unknown>> {
  return {
    appId: same(spec.name),
    appPort: byTarget(address('a port of the service block on one machine'), local.app, spec.port),
    appProtocol: same(spec.appProtocol),
    config: same(daprConfigName),
    metricsPort: byTarget(
      address('each sidecar needs its own port on one machine; every pod uses the same'),
      local.daprMetrics,
      daprMetricsPort,
    ),
    logAsJson: same(true),
    appHealthCheck: same<AppHealthCheck | undefined>(
      spec.appProtocol === 'http' ? { path: SIDECAR_PROBE_PATH, ...appHealthProbe } : undefined,
    ),
    apiPorts: byTarget(
      address("each sidecar needs its own ports on one machine; the injected daprd keeps Dapr's defaults"),
      { http: local.daprHttp, grpc: local.daprGrpc, internalGrpc: local.daprInternalGrpc },
      undefined,
    ),
    env: same<Record<string, string>>({ ...daprdRuntimeEnv }),
  };
}

export function sidecarPlan(
  spec: ServiceSpec,
  local: LocalServicePorts,
  target: Target,
): { sidecar: SidecarPlan; explained: Record<string, Explained> } {
  const { values, explained } = resolve(sidecarSettings(spec, local), target);
  return { sidecar: Object.fromEntries(values) as unknown as SidecarPlan, explained };
}

/** Port serving /healthz, /readyz and /metrics: the app port unless it speaks only gRPC. */
export function appPorts(spec: ServiceSpec, local: LocalServicePorts, target: Target): AppPorts {
  if (spec.appProtocol === 'grpc' && spec.adminPort === undefined) {
    throw new Error(`${spec.name} speaks only gRPC on its app port and needs an adminPort in the topology`);
  }
  const app = target === 'local' ? local.app : spec.port;
  const admin = target === 'local' ? local.admin : spec.adminPort;
  return { app, probe: spec.appProtocol === 'grpc' ? (admin as number) : app, ...(admin === undefined ? {} : { admin }) };
}

/**
 * Liveness, readiness and startup as kubelet runs them; the local runner waits on the
 * same readiness path before it calls the stack up.
 */
export function probes(ports: AppPorts): { liveness: Probe; readiness: Probe; startup: Probe } {
  return {
    liveness: { path: '/healthz', port: ports.probe, periodSeconds: 10, failureThreshold: 3 },
    readiness: { path: '/readyz', port: ports.probe, periodSeconds: 5, failureThreshold: 2 },
    startup: { path: '/healthz', port: ports.probe, periodSeconds: 2, failureThreshold: 60 },
  };
}
