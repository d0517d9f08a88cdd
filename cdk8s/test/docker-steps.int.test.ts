/**
 * The Dockerfile's install/build/prune steps, replayed in a temp dir without Docker, for
 * the first service that has an entry point; the resulting runtime tree must start and
 * fail fast on its missing Dapr tokens (which proves the bundle and its pruned
 * node_modules load), and must hold no development packages. For web, the image must
 * also hold the built browser app where the cluster's ASSETS_DIR points, and serve it;
 * the same replay without the UI build step must be caught.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { services } from '@meshmart/kit/topology';
import { clusterServicePlan } from '../src/cluster-plan.ts';
import { repoRoot } from '../src/repo-paths.ts';
import { appUser } from '../src/settings.ts';
import { parseDockerfile, type ReplayResult, replay } from './support/dockerfile.ts';

/** The distroless image's node is this machine's node for the replay. */
const imageBinaries: Record<string, string> = { '/nodejs/bin/node': process.execPath };

describe('Dockerfile steps without Docker', function () {
  this.timeout(15 * 60_000);
  const service = services.find((s) => existsSync(join(repoRoot, 'services', s.name, 'src/main.ts')))?.name;
  let workspace: string;

  before(function () {
    if (!service) this.skip();
    workspace = mkdtempSync(join(tmpdir(), 'meshmart-image-'));
  });
  after(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('runs as the non-root user the pods expect, on a distroless base', () => {
    const { stages } = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
    const runtime = stages.at(-1);
    assert.equal(runtime?.name, 'runtime');
    assert.ok(runtime.instructions.some((i) => i.op === 'USER' && i.args === `${appUser}:${appUser}`));
  });

  it('installs, bundles and prunes, and the result starts and names its missing settings', () => {
    const { final } = replay({
      dockerfile: join(repoRoot, 'Dockerfile'),
      context: repoRoot,
      buildArgs: { SERVICE: service as string },
      workspace,
      runTimeoutMs: 10 * 60_000,
      log: (line) => console.log(`      ${line}`),
    });
    const app = join(final.root, final.workdir);
    for (const dev of ['typescript', 'tsx', 'esbuild', 'mocha', '@meshmart']) {
      assert.equal(existsSync(join(app, 'node_modules', dev)), false, `runtime image holds ${dev}`);
    }
    const [binary = '', ...flags] = final.entrypoint;
    const executable = imageBinaries[binary];
    assert.ok(executable, `unexpected entrypoint ${binary}`);
    // As in the cluster, Dapr tokens are required; without them the config check must stop the start.
    const run = spawnSync(executable, [...flags, ...final.cmd], {
      cwd: app,
      env: { ...final.env, REQUIRE_DAPR_TOKENS: 'true' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.notEqual(run.status, 0, output);
    assert.doesNotMatch(output, /ERR_MODULE_NOT_FOUND|Cannot find (module|package)/, output);
    assert.match(output, /invalid configuration:[\s\S]*- DAPR_API_TOKEN: required when REQUIRE_DAPR_TOKENS=true/, output);
  });
});

/** What is missing for the image's web service to serve the app: index.html and every asset it names. */
function missingUi(image: ReplayResult['final'], assetsDir: string): string[] {
  const dir = join(image.root, assetsDir);
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return [`${assetsDir}/index.html`];
  const named = [...readFileSync(index, 'utf8').matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  if (named.length === 0) return [`the scripts and styles ${assetsDir}/index.html should name`];
  return named.filter((asset) => !existsSync(join(dir, asset))).map((asset) => `${assetsDir}${asset}`);
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Dockerfile steps for the web image', function () {
  this.timeout(15 * 60_000);
  const assetsVar = clusterServicePlan(services, 'web').env.find((e) => e.name === 'ASSETS_DIR')?.source;
  const assetsDir = assetsVar && 'value' in assetsVar ? assetsVar.value : '';
  const workspaces: string[] = [];
  const build = (dockerfile: string) => {
    const workspace = mkdtempSync(join(tmpdir(), 'meshmart-web-image-'));
    workspaces.push(workspace);
    return replay({
      dockerfile,
      context: repoRoot,
      buildArgs: { SERVICE: 'web' },
      workspace,
      runTimeoutMs: 10 * 60_000,
      log: (line) => console.log(`      ${line}`),
    }).final;
  };
  after(() => {
    for (const w of workspaces) rmSync(w, { recursive: true, force: true });
  });

  it('holds the built app where the cluster points ASSETS_DIR, and serves it', async () => {
    assert.equal(assetsDir, '/app/public');
    const image = build(join(repoRoot, 'Dockerfile'));
    assert.deepEqual(missingUi(image, assetsDir), []);
    const port = await freePort();
    const server = spawn(process.execPath, image.cmd, {
      cwd: join(image.root, image.workdir),
      env: { ...image.env, ASSETS_DIR: join(image.root, assetsDir), PORT: String(port), OTEL_TRACES_EXPORTER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (d) => (output += d));
    server.stderr.on('data', (d) => (output += d));
    try {
      let page: Response | undefined;
      for (let i = 0; i < 50 && !page; i++) {
        page = await fetch(`http://127.0.0.1:${port}/products/any`).catch(() => undefined);
        if (!page) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(page, `the web service in the image did not answer:\n${output}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script type="module"[^>]* src="\/assets\/index-[^"]+\.js"/);
    } finally {
      server.kill();
    }
  });

  it('is caught when the Dockerfile loses the step that builds the app', () => {
    const text = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    const withoutUi = text.replace(/^RUN mkdir -p out\/public .*$/m, 'RUN mkdir -p out/public');
    assert.notEqual(withoutUi, text, 'the UI build step is where this test expects it');
    const dockerfile = join(mkdtempSync(join(tmpdir(), 'meshmart-dockerfile-')), 'Dockerfile');
    workspaces.push(join(dockerfile, '..'));
    writeFileSync(dockerfile, withoutUi);
    assert.deepEqual(missingUi(build(dockerfile), assetsDir), [`${assetsDir}/index.html`]);
  });
});
