import assert from 'node:assert/strict';
import { sidecarReadiness, untilFirstPass } from '../src/sidecar-readiness.ts';

/** A sidecar whose answers the test sets; records which endpoints readiness used. */
function fakeSidecar(loaded: string[], storeUp = true, passesCalls = true) {
  const calls: string[] = [];
  return {
    calls,
    async passesCallsTo(app: string) {
      calls.push(`app:${app}`);
      if (!passesCalls) throw new Error(`the sidecar does not pass calls to ${app} yet (500)`);
    },
    async outboundReady() {
      calls.push('outbound');
    },
    async loadedComponents() {
      calls.push('metadata');
      return loaded;
    },
    async stateStoreReachable(store: string) {
      calls.push(`state:${store}`);
      if (!storeUp) throw new Error(`state store ${store} answered 500`);
    },
  };
}

async function failing(checks: ReturnType<typeof sidecarReadiness>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { name, check } of checks) {
    await check().catch((err: Error) => {
      out[name] = err.message;
    });
  }
  return out;
}

const probed = () => true;

describe('sidecar readiness', () => {
  it('checks what users cannot serve without: outbound APIs, its components, the state store', async () => {
    const sidecar = fakeSidecar(['statestore', 'pubsub', 'secretstore']);
    const checks = sidecarReadiness(sidecar, 'users', probed);
    assert.deepEqual(
      checks.map((c) => c.name),
      ['dapr-outbound', 'dapr-app-channel', 'dapr-components', 'statestore'],
    );
    assert.deepEqual(await failing(checks), {});
    assert.deepEqual(sidecar.calls, ['outbound', 'app:users', 'metadata', 'state:statestore']);
  });

  it('is not ready while the sidecar still refuses calls to the app (its health probe has not passed yet)', async () => {
    assert.deepEqual(
      await failing(sidecarReadiness(fakeSidecar(['statestore', 'pubsub', 'secretstore'], true, false), 'users', probed)),
      {
        'dapr-app-channel': 'the sidecar does not pass calls to users yet (500)',
      },
    );
  });

  it('does not call through the sidecar before the sidecar has probed the app', async () => {
    let probedYet = false;
    const sidecar = fakeSidecar(['statestore', 'pubsub', 'secretstore']);
    const checks = sidecarReadiness(sidecar, 'users', () => probedYet);
    assert.deepEqual(await failing(checks), { 'dapr-app-channel': 'the sidecar has not probed the app yet' });
    assert.equal(sidecar.calls.includes('app:users'), false, 'a call passing now could precede daprd attaching the app health');
    probedYet = true;
    assert.deepEqual(await failing(checks), {});
    assert.equal(sidecar.calls.filter((c) => c === 'app:users').length, 1);
  });

  it('takes an app the topology does not list for an HTTP app that needs no component', async () => {
    const sidecar = fakeSidecar([], false, false);
    const checks = sidecarReadiness(sidecar, 'greeter', probed);
    assert.deepEqual(
      checks.map((c) => c.name),
      ['dapr-outbound', 'dapr-app-channel'],
    );
    assert.deepEqual(await failing(checks), { 'dapr-app-channel': 'the sidecar does not pass calls to greeter yet (500)' });
  });

  it('fails naming the component the sidecar has not loaded, and the unreachable store', async () => {
    const checks = sidecarReadiness(fakeSidecar(['statestore'], false), 'users', probed);
    assert.deepEqual(await failing(checks), {
      'dapr-components': 'components not loaded by the sidecar: pubsub, secretstore',
      statestore: 'state store statestore answered 500',
    });
  });

  it('leaves out the stores an app serves without (the gateway’s rate limits, links’ cache)', async () => {
    assert.deepEqual(
      sidecarReadiness(fakeSidecar([], false), 'gateway', probed).map((c) => c.name),
      ['dapr-outbound', 'dapr-app-channel'],
    );
    const links = sidecarReadiness(fakeSidecar(['pubsub'], false), 'links', probed);
    assert.deepEqual(
      links.map((c) => c.name),
      ['dapr-outbound', 'dapr-components'],
    );
    assert.deepEqual(await failing(links), {});
  });

  it('asks the app channel at most once a second until it passes, then never again', async () => {
    let clock = 0;
    let answers = 0;
    let up = false;
    const check = untilFirstPass(
      async () => {
        answers += 1;
        if (!up) throw new Error('refused');
      },
      1000,
      () => clock,
    );
    await assert.rejects(check(), /refused/);
    clock = 400;
    await assert.rejects(check(), /refused/);
    assert.equal(answers, 1, 'a poll within the second gets the last answer, not a new call');
    up = true;
    clock = 1000;
    await check();
    assert.equal(answers, 2);
    up = false;
    clock = 5000;
    await check();
    assert.equal(answers, 2, 'once passed, a later poll does not call through the sidecar');
  });
});
