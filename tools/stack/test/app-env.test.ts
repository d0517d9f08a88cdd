import assert from 'node:assert/strict';
import { nodeOptions as plannedNodeOptions } from '@meshmart/kit/deployment/environment';
import { nodeOptions, serviceEnv } from '../src/app-env.ts';

const tokens = { daprApiToken: 'dapr-token', appApiToken: 'app-token' };

describe("a service's local environment", () => {
  const saved = process.env.NODE_OPTIONS;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  });

  it("starts a service with the plan's Node flags when the shell sets none", () => {
    delete process.env.NODE_OPTIONS;
    assert.equal(serviceEnv('gateway', tokens).NODE_OPTIONS, plannedNodeOptions);
  });

  it("keeps the developer's own Node flags, after the plan's so they win", () => {
    process.env.NODE_OPTIONS = '--inspect=0 --max-semi-space-size=16';
    assert.equal(serviceEnv('users', tokens).NODE_OPTIONS, `${plannedNodeOptions} --inspect=0 --max-semi-space-size=16`);
  });

  it('joins only flags that are there', () => {
    assert.deepEqual(nodeOptions(undefined, undefined), {});
    assert.deepEqual(nodeOptions('', '  '), {});
    assert.deepEqual(nodeOptions('--a', undefined), { NODE_OPTIONS: '--a' });
    assert.deepEqual(nodeOptions(undefined, '--b'), { NODE_OPTIONS: '--b' });
    assert.deepEqual(nodeOptions('--a', '--b'), { NODE_OPTIONS: '--a --b' });
  });
});
