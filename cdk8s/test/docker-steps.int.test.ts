/**
 * The Dockerfile's install/build/prune steps, replayed in a temp dir without Docker, for
 * the first service that has an entry point; the resulting runtime tree must start and
 * fail fast on its missing Dapr tokens (which proves the bundle and its pruned
 * node_modules load), and must hold no development packages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { services } from '@meshmart/kit/topology';
import { repoRoot } from '../src/repo-paths.ts';
import { appUser } from '../src/settings.ts';
import { parseDockerfile, replay } from './support/dockerfile.ts';

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
