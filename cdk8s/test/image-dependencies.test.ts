/**
 * What each service image's node_modules would hold: npm's own plan (`npm ci --dry-run`)
 * for the Dockerfile's install commands, over the repository's package manifests and
 * lockfile as those stages copy them. In an npm workspace the `dev` flag is worked out
 * once for the whole tree: a package that any workspace needs at run time (esbuild for
 * the stack's bundler, jsqr for the test helpers) counts as production everywhere, so
 * `--omit=dev` keeps it in a service whose devDependencies reach it. Services declared
 * `@meshmart/stack` and `@meshmart/test-support` as devDependencies, and their images
 * shipped esbuild and the QR-decoding test libraries.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { services } from '@meshmart/kit/topology';
import { repoRoot } from '../src/repo-paths.ts';
import { parseDockerfile, type Stage, substitute } from './support/dockerfile.ts';

/** Packages only tests, the local stack and image builds use; none belongs in a running service. */
const testAndBuildOnly = [
  '@meshmart/stack',
  '@meshmart/test-support',
  'amqplib',
  'cdk8s-cli',
  'esbuild',
  'ioredis',
  'jsqr',
  'kubernetes-models',
  'mocha',
  'playwright-core',
  'tsx',
  'typescript',
  'vite',
];

const { stages } = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  assert.ok(found, `the Dockerfile has no ${name} stage`);
  return found;
};

/** The stage's `npm ci` as an argument list, without the cache mount and what follows `&&`. */
function npmCiArgs(s: Stage, service: string): string[] {
  const run = s.instructions.find((i) => i.op === 'RUN' && i.args.includes('npm ci'));
  assert.ok(run, `the ${s.name} stage runs no npm ci`);
  const command = substitute(run.args, { SERVICE: service });
  const npm = command.slice(command.indexOf('npm ci')).split('&&')[0] ?? '';
  return npm.trim().split(/\s+/).slice(1);
}

/** A folder holding what the stage's COPY instructions take from the context, package manifests only. */
function manifestsAsCopiedBy(s: Stage): string {
  const dir = mkdtempSync(join(tmpdir(), `meshmart-${s.name}-`));
  const tracked = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*package.json', 'package-lock.json'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter((f) => f && !f.includes('node_modules/'));
  for (const copy of s.instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const file of tracked.filter((f) => sources.some((src) => f === src || f.startsWith(`${src}/`)))) {
      mkdirSync(join(dir, dirname(file)), { recursive: true });
      copyFileSync(join(repoRoot, file), join(dir, file));
    }
  }
  return dir;
}

/** The packages `npm ci` would add, by name. */
function plannedInstall(dir: string, args: string[]): string[] {
  const run = spawnSync('npm', [...args, '--dry-run', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  assert.equal(run.status, 0, `npm ${args.join(' ')} --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  const added = [...run.stdout.matchAll(/^add (\S+) \S+$/gm)].map((m) => m[1] as string);
  assert.ok(added.length > 0, `npm ${args.join(' ')} --dry-run planned nothing:\n${run.stdout}`);
  return added;
}

const testAndBuildPackagesIn = (added: string[]) => testAndBuildOnly.filter((name) => added.includes(name));

describe('what the service images install', function () {
  this.timeout(15 * 60_000);
  const withPackage = services.map((s) => s.name).filter((name) => existsSync(join(repoRoot, 'services', name, 'package.json')));
  const folders: string[] = [];
  after(() => {
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  it('keeps test and build packages out of every runtime image', () => {
    assert.ok(withPackage.length > 5, `only ${withPackage.length} services have a package.json`);
    const prodDeps = stage('prod-deps');
    const dir = manifestsAsCopiedBy(prodDeps);
    folders.push(dir);
    const found = withPackage.flatMap((service) =>
      testAndBuildPackagesIn(plannedInstall(dir, npmCiArgs(prodDeps, service))).map((name) => `${service}: ${name}`),
    );
    assert.deepEqual(found, []);
  });

  it('sees the bundler in the bundling stage, which installs it on purpose, but not the cdk8s CLI', () => {
    const bundle = stage('bundle');
    const dir = manifestsAsCopiedBy(bundle);
    folders.push(dir);
    const service = withPackage[0] as string;
    const args = npmCiArgs(bundle, service);
    const found = testAndBuildPackagesIn(plannedInstall(dir, args));
    assert.ok(found.includes('esbuild') && found.includes('tsx'), `found only ${found.join(', ')}`);
    assert.ok(!found.includes('cdk8s-cli'), `the bundle stage installs cdk8s-cli: npm ${args.join(' ')}`);
    // The same install with the cdk8s workspace selected, as the stage once did, brings the CLI in.
    const withCdk8s = testAndBuildPackagesIn(plannedInstall(dir, [...args, '--workspace', 'cdk8s']));
    assert.ok(withCdk8s.includes('cdk8s-cli'), `found only ${withCdk8s.join(', ')} with --workspace cdk8s`);
  });
});
