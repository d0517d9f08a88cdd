/**
 * The staleness rule of the local bundles, on a scratch repository with one service:
 * what the next start rebuilds, and what it must not.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appLaunch } from '../src/app-launch.ts';
import { bundleDir, bundleEntry, bundleStaleness, ensureBundles } from '../src/build/service-bundles.ts';

describe('service bundles (the code the local stack runs)', function () {
  // esbuild's first start in a process can be slow on a busy machine.
  this.timeout(30_000);
  let root: string;
  const src = (file: string) => path.join(root, 'services/demo/src', file);
  const write = (file: string, text: string) => writeFileSync(path.join(root, file), text);
  const run = (...args: string[]) => {
    const { command, args: launch } = appLaunch('demo', root);
    return spawnSync(command, [...launch, ...args], { encoding: 'utf8', env: {} });
  };

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'meshmart-bundles-'));
    mkdirSync(path.join(root, 'services/demo/src'), { recursive: true });
    write('services/demo/package.json', '{ "name": "demo", "type": "module" }\n');
    write('services/demo/src/main.ts', "import { greeting } from './greeting.ts';\nconsole.log(greeting(process.argv[2]));\n");
    write(
      'services/demo/src/greeting.ts',
      [
        'export function greeting(who: string | undefined): string {',
        "  if (who === 'nobody') throw new Error('no one to greet');",
        "  return 'hello ' + who;",
        '}',
        '',
      ].join('\n'),
    );
    const first = await ensureBundles(root, ['demo']);
    assert.deepEqual(first.rebuilt, [{ service: 'demo', reason: 'no bundle yet' }]);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs the bundle under plain node, and rebuilds nothing when nothing changed', async () => {
    assert.equal(run('world').stdout, 'hello world\n');
    const again = await ensureBundles(root, ['demo']);
    assert.deepEqual(again.rebuilt, []);
    assert.deepEqual(again.upToDate, ['demo']);
  });

  it('ignores a source rewritten with the same content, as code generation does', async () => {
    const file = src('greeting.ts');
    writeFileSync(file, readFileSync(file));
    utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    assert.equal(await bundleStaleness(root, 'demo'), undefined);
  });

  it('picks up a changed source on the next build', async () => {
    write('services/demo/src/greeting.ts', "export const greeting = (who?: string) => 'hi ' + who;\n");
    assert.equal(await bundleStaleness(root, 'demo'), 'services/demo/src/greeting.ts changed');
    const round = await ensureBundles(root, ['demo']);
    assert.deepEqual(round.rebuilt, [{ service: 'demo', reason: 'services/demo/src/greeting.ts changed' }]);
    assert.equal(run('world').stdout, 'hi world\n');
  });

  it('calls a bundle stale when one of its sources is gone', async () => {
    rmSync(src('greeting.ts'));
    assert.equal(await bundleStaleness(root, 'demo'), 'services/demo/src/greeting.ts is gone');
    await assert.rejects(ensureBundles(root, ['demo']), /greeting\.ts/);
  });

  it('treats the package manifest, the bundler and a deleted bundle as changes', async () => {
    write('services/demo/package.json', '{ "name": "demo", "type": "module", "imports": {} }\n');
    assert.equal(await bundleStaleness(root, 'demo'), 'services/demo/package.json changed');
    await ensureBundles(root, ['demo']);

    const manifest = path.join(bundleDir(root, 'demo'), 'sources.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), bundler: 'esbuild 0.0.0' }));
    assert.equal(await bundleStaleness(root, 'demo'), 'the bundler changed');
    await ensureBundles(root, ['demo']);

    rmSync(bundleEntry(root, 'demo'));
    assert.equal(await bundleStaleness(root, 'demo'), 'no bundle yet');
  });

  it('keeps the previous bundle when a build fails, and still calls it stale', async () => {
    write('services/demo/src/greeting.ts', 'export const greeting = (who: string => who;\n');
    await assert.rejects(ensureBundles(root, ['demo']), /greeting\.ts/);
    assert.equal(run('world').stdout, 'hello world\n');
    assert.equal(await bundleStaleness(root, 'demo'), 'services/demo/src/greeting.ts changed');
    assert.equal(existsSync(`${bundleDir(root, 'demo')}.${process.pid}.tmp`), false);
  });

  it('names the TypeScript file and line in a stack trace', () => {
    const crashed = run('nobody');
    assert.notEqual(crashed.status, 0);
    assert.match(crashed.stderr, /Error: no one to greet\n\s+at greeting \(.*services\/demo\/src\/greeting\.ts:2:\d+\)/);
  });
});
