import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../src/repo-paths.ts';
import { extendedServices } from './support/extended-topology.ts';
import { synthesize } from './support/synth.ts';
import { cdk8sDir, newAjv, strict, validateObject } from './support/validate.ts';

describe('schema validation', function () {
  this.timeout(120_000);

  for (const [label, options] of [
    ['topology, default size', {}],
    ['topology, small size', { size: 'small' as const }],
    ['extended topology', { services: extendedServices }],
  ] as const) {
    it(`every synthesized object validates (${label})`, async () => {
      const { objects } = synthesize(options);
      assert.ok(objects.length > 50, `only ${objects.length} objects`);
      const failures: string[] = [];
      for (const obj of objects) {
        await validateObject(obj).catch((err: Error) => failures.push(err.message));
      }
      assert.deepEqual(failures, []);
    });
  }

  it('rejects a misspelt Dapr field instead of letting it be pruned', async () => {
    const component = {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'x' },
      spec: { type: 'state.redis', version: 'v1', metadata: [], initTimout: '5s' },
    };
    await assert.rejects(validateObject(component), /additional/);
  });

  it('the Istio install profile and mesh telemetry validate', async () => {
    for (const file of ['istio/istio-operator.yaml', 'istio/mesh-telemetry.yaml']) {
      for (const doc of parseAllDocuments(readFileSync(join(repoRoot, file), 'utf8'))) {
        await validateObject(doc.toJSON());
      }
    }
  });

  it('skaffold.yaml validates against the v4beta13 schema, with and without the small profile', () => {
    const schema = JSON.parse(readFileSync(join(cdk8sDir, 'schemas/skaffold-v4beta13.json'), 'utf8'));
    const validate = newAjv().compile(strict(schema) as object);
    const config = parse(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
    assert.equal(config.apiVersion, 'skaffold/v4beta13');
    assert.ok(validate(config), JSON.stringify(validate.errors, null, 1));
    const small = config.profiles.find((p) => p.name === 'small');
    assert.ok(small, 'no small profile');
    const patched = structuredClone(config);
    for (const op of small.patches) applyReplace(patched, op);
    assert.ok(validate(patched), JSON.stringify(validate.errors, null, 1));
    assert.notDeepEqual(patched.manifests, config.manifests, 'the small profile must change what is rendered');
  });
});

interface SkaffoldConfig {
  apiVersion: string;
  manifests: unknown;
  profiles: Array<{ name: string; patches: Array<{ op: string; path: string; value: unknown }> }>;
}

/** The JSON Patch `replace` op, the only one the profiles use; fails on a path that does not exist. */
function applyReplace(target: unknown, op: { op: string; path: string; value: unknown }): void {
  assert.equal(op.op, 'replace');
  const keys = op.path.split('/').slice(1);
  const last = keys.pop() as string;
  let node = target as Record<string, unknown>;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  assert.ok(node && last in node, `patch path ${op.path} does not exist`);
  node[last] = op.value;
}
