import assert from 'node:assert/strict';
import { istioFaultProfile, istioFaultProfiles } from '../src/mesh/faults.ts';
import { named, ofKind, synthesize } from './support/synth.ts';
import { validateObject } from './support/validate.ts';

const routesWithFaults = (objects: ReturnType<typeof synthesize>['objects']) =>
  ofKind(objects, 'VirtualService').flatMap((vs) =>
    (vs.spec.http as Array<{ name?: string; fault?: unknown }>)
      .filter((r) => r.fault !== undefined)
      .map((r) => `${vs.metadata.name}/${r.name}`),
  );

describe('Istio fault injection profiles', function () {
  this.timeout(120_000);

  it('inject nothing by default', () => {
    assert.deepEqual(routesWithFaults(synthesize().objects), []);
  });

  for (const name of Object.keys(istioFaultProfiles)) {
    it(`${name} puts its fault on the invocation route of its app only, and validates`, async () => {
      const profile = istioFaultProfile(name);
      const { objects } = synthesize({ istioFaults: [profile] });
      assert.deepEqual(routesWithFaults(objects), [`${profile.service}-invoke/dapr-invocation`]);
      const vs = named(objects, 'VirtualService', `${profile.service}-invoke`);
      assert.deepEqual(vs.spec.http[0].fault, profile.fault);
      await validateObject(vs);
    });
  }

  it('refuses a profile it does not know', () => {
    assert.throws(() => istioFaultProfile('everything-slow'), /unknown Istio fault profile everything-slow/);
  });
});
