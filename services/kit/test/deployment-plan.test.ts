import assert from 'node:assert/strict';
import { nodeOptions } from '../src/deployment/environment.ts';
import { deploymentPlan, servicePlanOf } from '../src/deployment/plan.ts';
import { planDiff, unexplainedDifferences } from '../src/deployment/plan-diff.ts';
import { retryWindowMs } from '../src/deployment/resiliency.ts';
import { callRetries, type Retrying, retryViolations, subscriberRestartAllowanceMs } from '../src/deployment/retries.ts';
import { appsUsing, componentNames, type ServiceSpec, services } from '../src/topology.ts';

const local = deploymentPlan('local');
const cluster = deploymentPlan('cluster');
const metadata = (plan: typeof local, component: string) =>
  Object.fromEntries(
    (plan.components.find((c) => c.name === component)?.metadata ?? []).map(({ name, ...v }) => [
      name,
      'value' in v ? v.value : `secret:${v.secretKeyRef.name}/${v.secretKeyRef.key}`,
    ]),
  );

describe('deployment plan', () => {
  it('differs between local and cluster only where the plan names a target reason', () => {
    const rows = planDiff(local, cluster);
    assert.deepEqual(unexplainedDifferences(rows), []);
    assert.ok(
      rows.some((r) => r.local !== r.cluster),
      'the targets do differ, in addresses and secrets at least',
    );
  });

  it('catches a difference nobody explained', () => {
    const drifted = structuredClone(cluster);
    const pubsub = drifted.components.find((c) => c.name === 'pubsub');
    assert.ok(pubsub);
    pubsub.metadata = pubsub.metadata.map((m) => (m.name === 'prefetchCount' ? { name: m.name, value: '20' } : m));
    const drift = unexplainedDifferences(planDiff(local, drifted));
    assert.deepEqual(
      drift.map((d) => [d.subject, d.key, d.local, d.cluster]),
      [['component pubsub', 'prefetchCount', '16', '20']],
    );
  });

  it('catches a setting present on one target only without a reason', () => {
    const drifted = structuredClone(local);
    const orders = servicePlanOf(drifted, 'orders');
    orders.env.push({ name: 'STEP_ATTEMPTS', source: { value: '5' } });
    const drift = unexplainedDifferences(planDiff(drifted, cluster));
    assert.deepEqual(
      drift.map((d) => [d.subject, d.key]),
      [['service orders', 'env.STEP_ATTEMPTS']],
    );
  });

  it('dead-letters through daprd and lets the broker only requeue, with one prefetch, on both targets', () => {
    for (const plan of [local, cluster]) {
      const pubsub = metadata(plan, 'pubsub');
      assert.equal(pubsub.requeueInFailure, 'true', plan.target);
      assert.equal(pubsub.prefetchCount, '16', plan.target);
      assert.equal(pubsub.enableDeadLetter, undefined, plan.target);
      assert.equal(plan.subscriptions.deadLetterTopic, 'deadletters');
      assert.deepEqual(plan.resiliency.targets.components.pubsub?.inbound, { timeout: 'delivery', retry: 'delivery' });
    }
  });

  it('keeps fault flags in Redis database 1 and cached state in 0 on both targets', () => {
    for (const plan of [local, cluster]) {
      assert.equal(metadata(plan, 'configstore').redisDB, '1', plan.target);
      assert.equal(metadata(plan, 'statestore').redisDB, '0', plan.target);
    }
  });

  it('scopes each component to exactly the services that list it, leaving unused ones out', () => {
    for (const plan of [local, cluster]) {
      const planned = new Map(plan.components.map((c) => [c.name, c.scopes]));
      for (const name of componentNames) {
        const users = appsUsing(name);
        assert.deepEqual(planned.get(name), users.length > 0 ? users : undefined, `${plan.target} ${name}`);
      }
    }
  });

  it('health-checks HTTP apps through daprd and leaves gRPC-only apps to their admin port', () => {
    for (const spec of services) {
      for (const plan of [local, cluster]) {
        const s = servicePlanOf(plan, spec.name);
        assert.deepEqual(
          s.sidecar.appHealthCheck,
          spec.appProtocol === 'http'
            ? { path: '/healthz/sidecar', intervalSeconds: 1, timeoutMs: 1000, threshold: 3 }
            : undefined,
          spec.name,
        );
        assert.equal(s.probes.readiness.port, spec.appProtocol === 'grpc' ? s.ports.admin : s.ports.app, spec.name);
      }
    }
  });

  it('reads credentials from Secrets in the cluster and never from a literal', () => {
    const users = servicePlanOf(cluster, 'users');
    const source = (name: string) => users.env.find((e) => e.name === name)?.source;
    assert.deepEqual(source('DATABASE_PASSWORD'), {
      secret: { name: 'users-postgres', key: 'password', purpose: 'postgres/role/users' },
    });
    assert.match(JSON.stringify(source('DATABASE_URL')), /\$\(DATABASE_PASSWORD\)/);
    assert.ok(users.env.findIndex((e) => e.name === 'DATABASE_PASSWORD') < users.env.findIndex((e) => e.name === 'DATABASE_URL'));
    assert.deepEqual(source('DAPR_API_TOKEN'), {
      secret: { name: 'users-dapr-api-token', key: 'token', purpose: 'dapr-api-token/users' },
    });
  });

  it("serves users' admin password through its secret store under one name on both targets, never in the env", () => {
    for (const plan of [local, cluster]) {
      const users = servicePlanOf(plan, 'users');
      const named = users.env.find((e) => e.name === 'ADMIN_PASSWORD_SECRET')?.source;
      assert.deepEqual(named, { value: 'users-secrets' }, plan.target);
      assert.deepEqual(
        users.storedSecrets.map((s) => s.name),
        ['users-secrets'],
        plan.target,
      );
      assert.equal(
        users.env.some((e) => e.name === 'ADMIN_PASSWORD'),
        false,
        plan.target,
      );
    }
    assert.deepEqual(servicePlanOf(cluster, 'users').storedSecrets[0]?.source, {
      secret: { name: 'users-secrets', key: 'ADMIN_PASSWORD', purpose: 'users/admin-password' },
    });
  });

  it("starts every service with small young-generation semi-spaces and only users with glibc's fixed mmap threshold, on both targets", () => {
    const envOf = (plan: typeof local, name: string) =>
      Object.fromEntries(servicePlanOf(plan, name as ServiceSpec['name']).env.map((e) => [e.name, e.source]));
    assert.equal(nodeOptions, '--max-semi-space-size=2');
    for (const plan of [local, cluster]) {
      for (const spec of services) {
        const env = envOf(plan, spec.name);
        assert.deepEqual(env.NODE_OPTIONS, { value: nodeOptions }, `${plan.target} ${spec.name}`);
        assert.deepEqual(
          env.MALLOC_MMAP_THRESHOLD_,
          spec.name === 'users' ? { value: String(1024 * 1024) } : undefined,
          `${plan.target} ${spec.name}: only users hashes passwords`,
        );
      }
    }
  });

  it('catches a Node flag set on one target only', () => {
    const drifted = structuredClone(cluster);
    const qr = servicePlanOf(drifted, 'qr');
    qr.env = qr.env.filter((e) => e.name !== 'NODE_OPTIONS');
    assert.deepEqual(
      unexplainedDifferences(planDiff(local, drifted)).map((d) => [d.subject, d.key, d.local, d.cluster]),
      [['service qr', 'env.NODE_OPTIONS', nodeOptions, undefined]],
    );
  });

  it('plans a service that exists only in a test topology', () => {
    const extra: ServiceSpec = {
      name: 'web' as ServiceSpec['name'],
      description: 'a copy under test',
      appProtocol: 'grpc',
      port: 50099,
      adminPort: 9099,
      grpcServices: [],
      public: false,
      calls: [],
      publishes: [],
      subscribes: [],
      components: ['blobstore'],
      scalesOut: false,
    };
    const plan = deploymentPlan('cluster', { topology: [extra] });
    assert.deepEqual(
      plan.components.map((c) => [c.name, c.scopes]),
      [['blobstore', ['web']]],
    );
    assert.equal(servicePlanOf(plan, 'web').probes.liveness.port, 9099);
    assert.deepEqual(unexplainedDifferences(planDiff(deploymentPlan('local', { topology: [extra] }), plan)), []);
  });
});

describe('retry ownership', () => {
  it('gives every call at most one transport layer, bounded layers only, and idempotency keys to business retries', () => {
    assert.deepEqual(retryViolations(callRetries), []);
  });

  it('refuses a second transport layer, an unbounded layer and a business retry without a key', () => {
    const invocation = callRetries.find((c) => c.call.startsWith('invocation'));
    assert.ok(invocation);
    const doubled = {
      ...invocation,
      retries: {
        local: invocation.retries.local,
        cluster: [...invocation.retries.cluster, { layer: 'daprd' as const, tries: Number.POSITIVE_INFINITY, on: 'any error' }],
      },
    };
    const keyless = { ...invocation, retries: { local: [{ layer: 'saga' as const, tries: 3, on: 'x' }], cluster: [] } };
    assert.deepEqual(retryViolations([doubled, keyless]), [
      `${invocation.call} (cluster): daprd retries without bound`,
      `${invocation.call} (cluster): envoy and daprd both retry the transport`,
      `${invocation.call} (local): saga retries without an idempotency key`,
    ]);
  });

  it('prints the same retry bounds into the Resiliency the plan carries', () => {
    for (const plan of [local, cluster]) {
      for (const [name, retry] of Object.entries(plan.resiliency.policies.retries)) {
        const { most } = retryWindowMs(retry);
        assert.ok(
          retry.maxRetries >= 0 && most <= 120_000,
          `${plan.target} ${name}: ${retry.maxRetries} retries over ${most} ms`,
        );
      }
    }
    // Envoy owns the invocation hop in the cluster: daprd is told not to retry any invoked app.
    for (const direction of Object.values(cluster.resiliency.targets.apps)) assert.equal(direction.retry, 'none');
    // Locally daprd keeps its built-in hop retries, but for payments, whose breaker stands in for Envoy.
    assert.deepEqual(Object.keys(local.resiliency.targets.apps), ['payments']);
    assert.equal(local.resiliency.targets.apps.payments?.retry, 'none');
  });

  it('keeps redelivering to a subscriber for longer than it takes to restart, and no longer than two minutes', () => {
    for (const plan of [local, cluster]) {
      const inbound = plan.resiliency.targets.components.pubsub?.inbound?.retry;
      const policy = inbound ? plan.resiliency.policies.retries[inbound] : undefined;
      assert.ok(policy, `${plan.target}: a retry policy for deliveries`);
      const window = retryWindowMs(policy);
      assert.ok(window.least >= subscriberRestartAllowanceMs, `${plan.target}: shortest window ${window.least} ms`);
      assert.ok(window.most <= 120_000, `${plan.target}: longest window ${window.most} ms`);
    }
    // The settings this replaced: five retries gave up after 3.3–9.8 s.
    const old = retryWindowMs({ policy: 'exponential', maxInterval: '15s', maxRetries: 5 });
    assert.ok(old.least < subscriberRestartAllowanceMs);
    assert.deepEqual([Math.round(old.least), Math.round(old.most)], [3297, 9891]);
  });

  it('says daprd retries component calls exactly where the Resiliency gives them a retry', () => {
    const componentCall = callRetries.find((c) => c.call.startsWith('component call'));
    assert.ok(componentCall);
    for (const plan of [local, cluster]) {
      const outbound = plan.resiliency.targets.components.statestore?.outbound;
      const daprd: Retrying[] = componentCall.retries[plan.target].filter((l: Retrying) => l.layer === 'daprd');
      if (outbound?.retry) {
        const policy = plan.resiliency.policies.retries[outbound.retry];
        assert.deepEqual(
          daprd.map((l: Retrying) => l.tries),
          [(policy?.maxRetries ?? 0) + 1],
          plan.target,
        );
      } else assert.deepEqual(daprd, [], plan.target);
    }
  });
});
