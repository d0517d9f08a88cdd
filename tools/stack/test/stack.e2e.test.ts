import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { eventually } from '@meshmart/test-support';
import { bundleEntry } from '../src/build/service-bundles.ts';
import { repoRoot } from '../src/paths.ts';
import { isHttpOk, isPortOpen } from '../src/readiness.ts';
import { type StackHandle, startStack } from '../src/stack.ts';

describe('startStack()', function () {
  this.timeout(180_000);
  let stack: StackHandle;

  before(async () => {
    stack = await startStack({ services: ['gateway', 'users'], quiet: true });
  });

  after(async () => {
    await stack?.stop();
  });

  const sidecarHealthy = (name: 'gateway' | 'users') => isHttpOk(`${stack.urls.services[name]?.dapr}/v1.0/healthz`);
  /** gateway's sidecar → name resolution → users' sidecar → users' app. */
  const invokeUsersFromGateway = () =>
    fetch(`${stack.urls.services.gateway?.dapr}/v1.0/invoke/users/method/healthz`, {
      headers: { 'dapr-api-token': stack.tokens.daprApiToken },
      signal: AbortSignal.timeout(5000),
    });

  it('runs a healthy sidecar and a ready app per service', async () => {
    for (const name of ['gateway', 'users'] as const) {
      assert.ok(await sidecarHealthy(name), `${name} sidecar`);
      assert.ok(await isHttpOk(`${stack.urls.services[name]?.probe}/readyz`), `${name} app`);
    }
  });

  it('runs each service from its bundle under plain node, as its image does, without a TypeScript loader', async () => {
    const apps = stack.processes().filter((p) => p.kind === 'app');
    assert.deepEqual(apps.map((p) => p.name).sort(), ['gateway', 'users']);
    for (const app of apps) {
      const args = (await readFile(`/proc/${app.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      assert.deepEqual(args.slice(1), ['--enable-source-maps', bundleEntry(repoRoot, app.name)]);
      const env = (await readFile(`/proc/${app.pid}/environ`, 'utf8')).split('\0');
      const nodeOptions = env.find((v) => v.startsWith('NODE_OPTIONS=')) ?? '';
      assert.doesNotMatch(`${args.join(' ')} ${nodeOptions}`, /tsx/, `${app.name} loads tsx`);
    }
  });

  it("rejects calls to a sidecar without the run's API token", async () => {
    const response = await fetch(`${stack.urls.services.users?.dapr}/v1.0/metadata`);
    assert.equal(response.status, 401);
  });

  it('invokes one service from another through both sidecars', async () => {
    const response = await invokeUsersFromGateway();
    assert.equal(response.status, 200);
  });

  it('loses and regains the route when one sidecar is stopped and started', async () => {
    await stack.stopSidecar('users');
    assert.equal(await sidecarHealthy('users'), false);
    assert.notEqual((await invokeUsersFromGateway()).status, 200);
    await stack.startSidecar('users');
    assert.ok(await sidecarHealthy('users'));
    assert.equal((await invokeUsersFromGateway()).status, 200);
  });

  const readiness = async (name: 'gateway' | 'users') => {
    const response = await fetch(`${stack.urls.services[name]?.probe}/readyz`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { checks: Array<{ name: string; ok: boolean }> };
    return { status: response.status, failing: body.checks.filter((c) => !c.ok).map((c) => c.name) };
  };

  it('takes users out of readiness while its state store is down, and only users', async function () {
    this.timeout(120_000);
    assert.deepEqual(await readiness('users'), { status: 200, failing: [] });
    await stack.stopInfra('redis');
    try {
      const down = await eventually('users to turn unready', async () => {
        const users = await readiness('users');
        return users.status === 503 ? users : undefined;
      });
      assert.deepEqual(down.failing, ['statestore']);
      // The gateway's rate limits fail open, so it keeps serving and stays ready.
      assert.deepEqual(await readiness('gateway'), { status: 200, failing: [] });
    } finally {
      await stack.startInfra('redis');
    }
    await eventually('users to be ready again', async () => ((await readiness('users')).status === 200 ? true : undefined));
  });

  it('stops everything it started', async () => {
    await stack.stop();
    for (const url of [stack.urls.gateway, stack.urls.services.users?.dapr ?? '']) {
      assert.equal(await isPortOpen(Number(new URL(url).port)), false, url);
    }
  });
});
