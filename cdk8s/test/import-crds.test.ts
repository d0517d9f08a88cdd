/**
 * cdk8s/import-crds.sh on a copy of what it reads (the script, the Dapr CRDs, the root
 * package-lock.json; node_modules linked from the checkout), so the checkout's own
 * cdk8s/imports is left alone. Run as the docs tell: `bash cdk8s/import-crds.sh` from
 * the root.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/repo-paths.ts';

describe('cdk8s/import-crds.sh', function () {
  this.timeout(120_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'meshmart-import-crds-'));
    cpSync(join(repoRoot, 'cdk8s/import-crds.sh'), join(root, 'cdk8s/import-crds.sh'));
    cpSync(join(repoRoot, 'cdk8s/crds/dapr'), join(root, 'cdk8s/crds/dapr'), { recursive: true });
    cpSync(join(repoRoot, 'package-lock.json'), join(root, 'package-lock.json'));
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** The script's stdout from the copy's root; fails with its output when it exits non-zero. */
  const runFromRoot = (): string => {
    const run = spawnSync('bash', ['cdk8s/import-crds.sh'], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    assert.equal(run.status, 0, `bash cdk8s/import-crds.sh failed:\n${run.stdout}\n${run.stderr}`);
    return run.stdout;
  };
  const generated = () => readFileSync(join(root, 'cdk8s/imports/dapr.io.ts'), 'utf8');

  it('generates the typed Dapr constructs when run from the repository root, then does nothing', () => {
    assert.match(runFromRoot(), /^generated cdk8s\/imports\/dapr\.io\.ts \(cdk8s-cli@\d+\.\d+\.\d+\)$/m);
    assert.match(generated(), /export class Subscription extends ApiObject/);
    assert.match(generated(), /^import \{ ApiObject, type ApiObjectMetadata, type GroupVersionKind \} from 'cdk8s';$/m);
    assert.equal(runFromRoot(), '');
  });

  it('generates again when the lockfile, which pins the CLI and what writes its output, changes', () => {
    runFromRoot();
    const first = generated();
    assert.equal(runFromRoot(), '');
    appendFileSync(join(root, 'package-lock.json'), '\n');
    assert.match(runFromRoot(), /^generated /m);
    assert.equal(generated(), first);
  });

  it('generates again when a CRD changes', () => {
    runFromRoot();
    assert.equal(runFromRoot(), '');
    appendFileSync(join(root, 'cdk8s/crds/dapr/subscription.yaml'), '\n');
    assert.match(runFromRoot(), /^generated /m);
  });
});
