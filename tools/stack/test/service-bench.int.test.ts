import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { infraForThisRun } from '@meshmart/test-support';
import { runServiceBench } from '../src/bench/service-bench.ts';
import { SEARCH_QUERIES } from '../src/bench-search.ts';
import { repoRoot } from '../src/paths.ts';

const infra = infraForThisRun();

describe("services' own benchmark scripts on the stack's PostgreSQL", () => {
  before(async function () {
    this.timeout(120_000);
    await infra.start(['postgres']);
  });

  it("inventory's Reserve over 100,000 settled reservations reports its p50 and p99", async function () {
    this.timeout(180_000);
    const figures = await runServiceBench('services/inventory/bench/reserve-history.ts', ['p50', 'p99', 'samples', 'settled']);
    assert.equal(figures.settled, 100_000);
    assert.equal(figures.samples, 1000);
    assert.ok(figures.p50 > 0 && figures.p99 >= figures.p50, JSON.stringify(figures));
  });

  it("search's plan tool prints planning, execution and CPU for every bench query", async function () {
    this.timeout(180_000);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/search/bench/plans.ts'], {
      cwd: repoRoot,
      env: { ...process.env, PLAN_RUNS: '2' },
    });
    for (const query of SEARCH_QUERIES) {
      const line = stdout.split('\n').find((l) => l.startsWith(decodeURIComponent(query)));
      assert.match(line ?? '', / \d+ +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d$/, `no figures for ${query} in:\n${stdout}`);
    }
  });
});
