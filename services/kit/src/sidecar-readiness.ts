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
import { type ComponentName, requiredComponents, services } from './topology.ts';

/** Components whose backing store a read can reach without side effects. */
const STATE_STORES: readonly ComponentName[] = ['statestore'];

/**
 * A start-up check: once it has passed it is not asked again, and until then at most once
 * per `everyMs` (the last failure answers in between). The call through the app's own
 * sidecar runs under the app's resiliency policy, whose circuit breaker counts refused
 * calls: polled as often as /readyz is while daprd still refuses calls to the app, it
 * could open that breaker and keep the app unreachable for its whole timeout.
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

/**
 * Whether daprd passes calls to the app, as a call through it to the app's /healthz
 * tells, asked only once the sidecar has probed the app (`probedBySidecar`: a request on
 * the sidecar's own probe path, SIDECAR_PROBE_PATH, which kubelet never asks). daprd 1.17
 * (pkg/runtime) serves invocations a moment before it attaches the app's health to its
 * app channel, and from then on refuses them, 500 "app is not in a healthy state", until
 * its first probe passes: a call that passed in that first moment said ready while the
 * next ones failed. Its first probe is sent only after the health is attached, so a call
 * made after that probe passes only if daprd keeps passing them. A sidecar that does not
 * probe its app (started by hand without the plan's health-check flags) leaves an HTTP
 * app not ready.
 */
function appChannelCheck(sidecar: Pick<Sidecar, 'passesCallsTo'>, app: string, probedBySidecar: () => boolean): ReadinessCheck {
  const callsPass = untilFirstPass(() => sidecar.passesCallsTo(app));
  return {
    name: 'dapr-app-channel',
    check: async () => {
      if (!probedBySidecar()) throw new Error('the sidecar has not probed the app yet');
      await callsPass();
    },
  };
}

/**
 * The checks of an app behind its sidecar. An app the kit's topology does not list (yet)
 * is taken for an HTTP app that needs no component.
 */
export function sidecarReadiness(
  sidecar: Pick<Sidecar, 'outboundReady' | 'loadedComponents' | 'stateStoreReachable' | 'passesCallsTo'>,
  app: string,
  probedBySidecar: () => boolean,
): ReadinessCheck[] {
  const spec = services.find((s) => s.name === app);
  const required = spec ? requiredComponents(spec) : [];
  const checks: ReadinessCheck[] = [{ name: 'dapr-outbound', check: () => sidecar.outboundReady() }];
  // daprd health-checks HTTP apps (deployment/sidecar.ts) and refuses calls to one until a
  // probe has passed: ready before that, sign-in answered 503 right after a start.
  if ((spec?.appProtocol ?? 'http') === 'http') checks.push(appChannelCheck(sidecar, app, probedBySidecar));
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
