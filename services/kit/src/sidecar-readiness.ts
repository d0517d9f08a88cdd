/**
 * Readiness of an app's sidecar, judged by what the app uses: the sidecar's outbound
 * APIs, the components it cannot serve without, and a read through each state store
 * among them. Never daprd's full /v1.0/healthz: that also waits for the actor placement
 * and scheduler services, which meshmart does not use, so wherever they are absent
 * (`dapr run` without `dapr init`, a Dapr control plane whose scheduler is down) every
 * app would leave its Service's endpoints over a feature nobody calls.
 */
import type { ReadinessCheck } from './app.ts';
import type { Sidecar } from './dapr.ts';
import { type ComponentName, requiredComponents, type ServiceName, service } from './topology.ts';

/** Components whose backing store a read can reach without side effects. */
const STATE_STORES: readonly ComponentName[] = ['statestore'];

/**
 * A start-up check: once it has passed it is not asked again, and until then at most once
 * per `everyMs` (the last failure answers in between). The call through the app's own
 * sidecar runs under the app's resiliency policy, whose circuit breaker counts refused
 * calls: polled as often as /readyz is, before daprd's first probe of the app, it could
 * open that breaker and keep the app unreachable for its whole timeout.
 */
export function untilFirstPass(check: () => Promise<void>, everyMs = 1000, now = () => Date.now()): () => Promise<void> {
  let passed = false;
  let last: { at: number; err: unknown } | undefined;
  return async () => {
    if (passed) return;
    if (last && now() - last.at < everyMs) throw last.err;
    try {
      await check();
      passed = true;
    } catch (err) {
      last = { at: now(), err };
      throw err;
    }
  };
}

export function sidecarReadiness(
  sidecar: Pick<Sidecar, 'outboundReady' | 'loadedComponents' | 'stateStoreReachable' | 'passesCallsTo'>,
  app: ServiceName,
): ReadinessCheck[] {
  const spec = service(app);
  const required = requiredComponents(spec);
  const checks: ReadinessCheck[] = [{ name: 'dapr-outbound', check: () => sidecar.outboundReady() }];
  // daprd health-checks HTTP apps (deployment/sidecar.ts) and refuses calls to one until a
  // probe has passed: ready before that, sign-in answered 503 right after a start.
  if (spec.appProtocol === 'http') {
    checks.push({ name: 'dapr-app-channel', check: untilFirstPass(() => sidecar.passesCallsTo(app)) });
  }
  if (required.length > 0) {
    checks.push({
      name: 'dapr-components',
      check: async () => {
        const loaded = await sidecar.loadedComponents();
        const missing = required.filter((c) => !loaded.includes(c));
        if (missing.length > 0) throw new Error(`components not loaded by the sidecar: ${missing.join(', ')}`);
      },
    });
  }
  for (const store of required.filter((c) => STATE_STORES.includes(c))) {
    checks.push({ name: store, check: () => sidecar.stateStoreReachable(store) });
  }
  return checks;
}
