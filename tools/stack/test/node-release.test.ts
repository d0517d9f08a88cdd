import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/paths.ts';

const wanted = readFileSync(path.join(repoRoot, '.node-version'), 'utf8').trim();
const nodeScript = path.join(repoRoot, 'scripts/setup/node.sh');

/** What scripts/setup/node.sh tells the package scripts to put first on PATH, with `dirs` first on PATH. */
function nodeFolderWith(dirs: string[]): string {
  return execFileSync('bash', [nodeScript], {
    env: { ...process.env, PATH: [...dirs, process.env.PATH].join(path.delimiter) },
    encoding: 'utf8',
  }).trim();
}

describe('the project Node release', () => {
  it('runs the tests: npm test goes through scripts/with-node.sh', () => {
    assert.equal(process.version, `v${wanted}`, `tests run on ${process.version}, .node-version says ${wanted}`);
  });

  it('is what package.json engines and the Dockerfile ask for', () => {
    const major = wanted.split('.')[0];
    const engines = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node;
    assert.match(engines, new RegExp(`^>=${major}\\.`));
    assert.match(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'), new RegExp(`node:${wanted.replaceAll('.', '\\.')}-`));
  });

  it('is taken from .tools/node when the machine node is an older major, and not otherwise', () => {
    const fake = mkdtempSync(path.join(tmpdir(), 'old-node-'));
    try {
      // An old node that still answers the one question node.sh asks it.
      writeFileSync(path.join(fake, 'node'), `#!/bin/sh\n[ "$1" = --version ] && echo v20.0.0 || echo 20\n`);
      chmodSync(path.join(fake, 'node'), 0o755);
      assert.equal(nodeFolderWith([fake]), path.join(repoRoot, '.tools/node/bin'));
      assert.equal(nodeFolderWith([path.dirname(process.execPath)]), '');
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });
});
