import assert from 'node:assert/strict';
import {
  type FaultFlag,
  FaultFlags,
  faultFlagKeys,
  faultFlags,
  flagsOf,
  followFaultFlags,
  parseFlagValue,
  storedFlagValue,
} from '../src/fault-flags.ts';
import { createLogger } from '../src/logging.ts';
import { registry } from '../src/metrics.ts';
import { service, services } from '../src/topology.ts';

const logger = createLogger('flags-test', 'error');

async function sample(name: string, flag: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => v.labels.flag === flag)?.value;
}

describe('fault flags', () => {
  it('parses each kind and refuses what it is not', () => {
    assert.equal(parseFlagValue('payments.failure-rate', '0.5'), 0.5);
    assert.equal(parseFlagValue('payments.failure-rate', ''), 0);
    assert.throws(() => parseFlagValue('payments.failure-rate', '1.01'), /between 0 and 1/);
    assert.throws(() => parseFlagValue('payments.failure-rate', '-0.1'), /between 0 and 1/);
    assert.equal(parseFlagValue('payments.latency-ms', '2500'), 2500);
    assert.throws(() => parseFlagValue('payments.latency-ms', '2.5'), /whole milliseconds/);
    assert.throws(() => parseFlagValue('payments.latency-ms', '999999'), /whole milliseconds/);
    assert.equal(parseFlagValue('links.cache-outage', 'on'), 1);
    assert.equal(parseFlagValue('links.cache-outage', 'OFF'), 0);
    assert.throws(() => parseFlagValue('links.cache-outage', 'yes please'), /on or off/);
  });

  it("drops the version Dapr's Redis store may keep after ||", () => {
    assert.equal(storedFlagValue('0.5||3'), '0.5');
    assert.equal(storedFlagValue('on'), 'on');
  });

  it('belongs to services whose topology entry lists the flag store, and leaves their readiness alone', () => {
    for (const key of faultFlagKeys) {
      const spec = service(faultFlags[key].service);
      assert.ok(spec.components.includes('configstore'), `${spec.name} follows ${key} but has no configstore`);
      assert.ok(spec.degradesWithout?.includes('configstore'), `${spec.name} must serve without its flag store`);
    }
    for (const spec of services.filter((s) => s.components.includes('configstore'))) {
      assert.ok(flagsOf(spec.name).length > 0, `${spec.name} has the flag store but no flag`);
    }
  });

  it('applies values, keeps a bad value off, ignores keys of other services, and counts injections', async () => {
    const flags = new FaultFlags(flagsOf('payments'), logger);
    assert.equal(flags.fails('payments.failure-rate'), false);
    flags.apply('payments.failure-rate', '1');
    const before = (await sample('fault_flag_injections_total', 'payments.failure-rate')) ?? 0;
    assert.equal(flags.fails('payments.failure-rate'), true);
    assert.equal(await sample('fault_flag_injections_total', 'payments.failure-rate'), before + 1);
    assert.equal(await sample('fault_flag_value', 'payments.failure-rate'), 1);
    flags.apply('payments.failure-rate', 'lots');
    assert.equal(flags.value('payments.failure-rate'), 0);
    flags.apply('links.cache-outage', 'on');
    assert.equal(flags.value('links.cache-outage' as FaultFlag), 0);
    flags.apply('payments.latency-ms', '20');
    const started = performance.now();
    await flags.delay('payments.latency-ms');
    assert.ok(performance.now() - started >= 15);
  });

  it('starts with the current values from its source and follows later changes', async () => {
    let push: ((key: string, raw: string) => void) | undefined;
    let closed = false;
    const { flags, stop } = await followFaultFlags({
      service: 'links',
      logger,
      source: {
        async follow(keys, onChange) {
          assert.deepEqual(keys, ['links.cache-outage']);
          onChange('links.cache-outage', 'on');
          push = onChange;
        },
        close: () => {
          closed = true;
        },
      },
    });
    assert.equal(flags.isOn('links.cache-outage'), true);
    push?.('links.cache-outage', '');
    assert.equal(flags.isOn('links.cache-outage'), false);
    stop();
    assert.ok(closed);
  });

  it('does not hold start-up for a source that never answers', async () => {
    const started = performance.now();
    const { flags } = await followFaultFlags({
      service: 'catalog',
      logger,
      waitMs: 50,
      source: { follow: () => new Promise(() => {}), close: () => {} },
    });
    assert.ok(performance.now() - started < 1000);
    assert.equal(flags.isOn('inventory.unavailable'), false);
  });
});
