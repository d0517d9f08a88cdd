/**
 * What runs when a single service starts: compiled code under plain node, as in the stack
 * and the images, never the tsx loader at run time.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/paths.ts';

/**
 * Why a service's `npm start` script is not the bundle runner, or undefined when it is.
 * npm runs the script in the service's folder, so every path in it is read from there.
 */
function startScriptProblem(name: string, script: string | undefined): string | undefined {
  if (script === undefined) return `${name} has no start script`;
  if (/\btsx\b/.test(script)) return `${name} starts through tsx: ${script}`;
  if (!script.endsWith(`tools/dapr-run/bundled ${name}`)) return `${name} does not run its bundle: ${script}`;
  const serviceDir = path.join(repoRoot, 'services', name);
  const missing = script.split(/\s+/).filter((word) => word.includes('/') && !existsSync(path.resolve(serviceDir, word)));
  if (missing.length > 0) return `${name} names paths that do not exist from services/${name}/: ${missing.join(', ')}`;
  return undefined;
}

describe('start scripts', () => {
  it("run each service's bundle through the same runner as dapr run, without tsx", () => {
    const services = readdirSync(path.join(repoRoot, 'services')).filter((name) =>
      existsSync(path.join(repoRoot, 'services', name, 'src', 'main.ts')),
    );
    assert.ok(services.length >= 13, `found only ${services.join(', ')}`);
    for (const name of services) {
      const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'services', name, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      assert.equal(startScriptProblem(name, manifest.scripts?.start), undefined);
    }
  });

  it('flag a script that runs TypeScript through tsx, another service, or a path that is not there', () => {
    assert.match(startScriptProblem('qr', 'node --import tsx src/main.ts') ?? '', /through tsx/);
    assert.match(startScriptProblem('qr', 'bash ../../tools/dapr-run/bundled links') ?? '', /does not run its bundle/);
    assert.match(
      startScriptProblem('qr', 'bash ../../scripts/with-node.sh bash ../tools/dapr-run/bundled qr') ?? '',
      /do not exist from services\/qr\/: \.\.\/tools\/dapr-run\/bundled$/,
    );
    assert.match(
      startScriptProblem('qr', 'bash ../scripts/with-node.sh bash ../../tools/dapr-run/bundled qr') ?? '',
      /\.\.\/scripts\/with-node\.sh$/,
    );
    assert.equal(startScriptProblem('qr', 'bash ../../scripts/with-node.sh bash ../../tools/dapr-run/bundled qr'), undefined);
  });
});
