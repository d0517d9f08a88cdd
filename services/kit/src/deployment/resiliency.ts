/**
 * Dapr Resiliency for both targets. Dapr owns resilience for component calls (state,
 * pub/sub, bindings, configuration, secrets): Istio sees those only as opaque TCP. For
 * service invocation the mesh owns the hop (retries.ts says who retries what).
 */
import { appsUsing, type ComponentName, componentNames, type ServiceSpec } from '../topology.ts';
import { byTarget, type Explained, type PerTarget, resolve, same, type Target } from './target.ts';

export interface RetryPolicy {
  policy: 'constant' | 'exponential';
  duration?: string;
  maxInterval?: string;
  /** -1 retries without end: the invariant test refuses it. */
  maxRetries: number;
}

export interface CircuitBreakerPolicy {
  maxRequests: number;
  interval: string;
  timeout: string;
  trip: string;
}

type Direction = { timeout?: string; retry?: string; circuitBreaker?: string };

export interface ResiliencyPlan {
  policies: {
    timeouts: Record<string, string>;
    retries: Record<string, RetryPolicy>;
    circuitBreakers: Record<string, CircuitBreakerPolicy>;
  };
  targets: {
    apps: Record<string, Direction>;
    components: Record<string, { outbound?: Direction; inbound?: Direction }>;
  };
  /** `apps.<app>` or `components.<name>.<direction>` → why it differs by target. */
  explained: Record<string, Explained>;
}

export const resiliencyPolicies = {
  timeouts: {
    component: '5s',
    // A subscriber handler may touch a database and publish through its outbox.
    delivery: '30s',
    // Above the slowest test card (3 s), below orders' own deadline (PAYMENTS_TIMEOUT_MS, 10 s).
    payments: '5s',
  },
  retries: {
    component: { policy: 'exponential', maxInterval: '2s', maxRetries: 3 },
    // Long enough for in-flight deliveries to outlast a subscriber's restart (retries.ts,
    // subscriberRestartAllowanceMs): the 5 retries this had gave up after about 7 s and
    // dead-lettered every event pulled while the app was down.
    delivery: { policy: 'exponential', maxInterval: '10s', maxRetries: 12 },
    none: { policy: 'constant', duration: '1s', maxRetries: 0 },
  },
  circuitBreakers: {
    component: { maxRequests: 1, interval: '30s', timeout: '20s', trip: 'consecutiveFailures >= 5' },
    // Dapr counts every answer outside 2xx–3xx as a failure, declined cards (402) included,
    // and keeps one breaker per path (`payments:charges`): five in a row, not three, so a
    // saga's three tries at one failing charge do not open it alone.
    payments: { maxRequests: 1, interval: '0s', timeout: '15s', trip: 'consecutiveFailures >= 5' },
  },
} as const satisfies ResiliencyPlan['policies'];

/** daprd's exponential backoff (dapr/kit retry): 500 ms, ×1.5 per retry, each wait drawn within ±50 %. */
const exponentialBackoff = { initialMs: 500, multiplier: 1.5, randomization: 0.5 } as const;

function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new Error(`unsupported duration ${text}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

/** How long a policy waits between its tries in all: the least, expected and most daprd can draw. */
export function retryWindowMs(policy: RetryPolicy): { least: number; nominal: number; most: number } {
  if (policy.maxRetries < 0) return { least: Infinity, nominal: Infinity, most: Infinity };
  let nominal = 0;
  if (policy.policy === 'constant') {
    const wait = durationMs(policy.duration ?? '5s');
    return { least: wait * policy.maxRetries, nominal: wait * policy.maxRetries, most: wait * policy.maxRetries };
  }
  const cap = policy.maxInterval ? durationMs(policy.maxInterval) : Infinity;
  for (let i = 0; i < policy.maxRetries; i++) {
    nominal += Math.min(cap, exponentialBackoff.initialMs * exponentialBackoff.multiplier ** i);
  }
  const { randomization } = exponentialBackoff;
  return { least: nominal * (1 - randomization), nominal, most: nominal * (1 + randomization) };
}

/** SMTP sends are not idempotent: a retried send can deliver the same mail twice. */
export const outboundRetry: Record<ComponentName, 'component' | undefined> = {
  statestore: 'component',
  configstore: 'component',
  secretstore: 'component',
  pubsub: 'component',
  blobstore: 'component',
  smtp: undefined,
};

const noEnvoy: Explained = {
  reason: 'mesh',
  why: 'in the cluster Envoy owns the invocation hop (retries on connect failure, outlier detection ejects a failing payments) and daprd is told not to retry; locally no Envoy runs, so daprd keeps its built-in retries of calls that never reached the app, and orders trips a Dapr breaker on payments instead',
};

const componentOutbound: Explained = {
  reason: 'observation',
  why: "locally the outage tests stop a store and expect the caller's 503 at once, not after retries and an open breaker; the cluster rides out a store's restart",
};

function appTargets(topology: readonly ServiceSpec[]): Record<string, PerTarget<Direction>> {
  const invoked = [...new Set(topology.flatMap((s) => s.calls.map((c) => c.to)))];
  return Object.fromEntries(
    invoked.map((app) => [
      app,
      byTarget<Direction>(
        noEnvoy,
        app === 'payments' ? { timeout: 'payments', retry: 'none', circuitBreaker: 'payments' } : undefined,
        { retry: 'none' },
      ),
    ]),
  );
}

function componentTargets(topology: readonly ServiceSpec[]): Record<string, PerTarget<Direction>> {
  const settings: Record<string, PerTarget<Direction>> = {};
  for (const name of componentNames) {
    if (appsUsing(name, topology).length === 0) continue;
    const retry = outboundRetry[name];
    settings[`${name}.outbound`] = byTarget<Direction>(componentOutbound, undefined, {
      timeout: 'component',
      circuitBreaker: 'component',
      ...(retry ? { retry } : {}),
    });
    // Without it daprd delivers once and dead-letters a RETRY at once.
    if (name === 'pubsub') settings[`${name}.inbound`] = same<Direction>({ timeout: 'delivery', retry: 'delivery' });
  }
  return settings;
}

/** Policies referenced by no target are left out, so each target's document holds only what it uses. */
function usedPolicies(targets: ResiliencyPlan['targets']): ResiliencyPlan['policies'] {
  const directions = [
    ...Object.values(targets.apps),
    ...Object.values(targets.components).flatMap((c) => [c.outbound, c.inbound].filter((d) => d !== undefined)),
  ];
  const used = (kind: keyof Direction) => new Set(directions.map((d) => d[kind]).filter((n) => n !== undefined));
  const keep = <T>(all: Record<string, T>, names: Set<string>) =>
    Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name)));
  return {
    timeouts: keep(resiliencyPolicies.timeouts, used('timeout')),
    retries: keep(resiliencyPolicies.retries, used('retry')),
    circuitBreakers: keep(resiliencyPolicies.circuitBreakers, used('circuitBreaker')),
  };
}

export function resiliencyPlan(target: Target, topology: readonly ServiceSpec[]): ResiliencyPlan {
  const apps = resolve(appTargets(topology), target);
  const components = resolve(componentTargets(topology), target);
  const componentDirections: ResiliencyPlan['targets']['components'] = {};
  for (const [key, direction] of components.values) {
    const [name, way] = key.split('.') as [string, 'outbound' | 'inbound'];
    componentDirections[name] = { ...componentDirections[name], [way]: direction };
  }
  const targets = { apps: Object.fromEntries(apps.values), components: componentDirections };
  return {
    policies: usedPolicies(targets),
    targets,
    explained: {
      ...Object.fromEntries(Object.entries(apps.explained).map(([k, v]) => [`apps.${k}`, v])),
      ...Object.fromEntries(Object.entries(components.explained).map(([k, v]) => [`components.${k}`, v])),
    },
  };
}
