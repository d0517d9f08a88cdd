/**
 * `npm run load` for a few seconds against the real local stack on loopback: the summary
 * must count the journeys' requests without errors, and the Grafana panel query of
 * requests by route must see them in the local Prometheus.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../src/paths.ts';
import { sleep } from '../src/processes.ts';
import { type StackHandle, startStack } from '../src/stack.ts';

interface Run {
  code: number;
  output: string;
}

function runLoad(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'tools/stack/src/load.ts'), ...args],
      { cwd: repoRoot, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

function summaryOf(output: string): { requests: number; errors: number } {
  const match = /load summary: (\d+) requests, p95 [\d.]+ ms, (\d+) errors/.exec(output);
  assert.ok(match, `no summary line in:\n${output.slice(-2000)}`);
  return { requests: Number(match[1]), errors: Number(match[2]) };
}

describe('npm run load against the local stack', function () {
  this.timeout(300_000);
  let stack: StackHandle;

  before(async function () {
    this.timeout(300_000);
    const unlimited = '100000000';
    stack = await startStack({
      quiet: true,
      env: { gateway: { RATE_LIMIT_AUTH_MAX: unlimited, RATE_LIMIT_API_MAX: unlimited, RATE_LIMIT_REDIRECT_MAX: unlimited } },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  it('runs every journey at the given rate, sums it up, and the dashboards see the requests', async () => {
    const run = await runLoad(['--rate', '4', '--duration', '6s', '--target', stack.urls.gateway]);
    assert.equal(run.code, 0, run.output.slice(-3000));
    const summary = summaryOf(run.output);
    // 24 journeys of one to three requests each, after the five set-up requests.
    assert.ok(summary.requests >= 24 + 5, `only ${summary.requests} requests`);
    assert.equal(summary.errors, 0);

    // The "Requests by route" panel's query, as dashboards/queries.json has it.
    const query =
      'sum by (service, method, route) (increase(http_server_requests_total{service="gateway",route="/s/:code"}[5m]))';
    const deadline = Date.now() + 60_000;
    let followed = 0;
    while (Date.now() < deadline) {
      const res = await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      followed = Number(body.data.result[0]?.value[1] ?? 0);
      if (followed > 0) break;
      await sleep(2000);
    }
    assert.ok(followed > 0, 'Prometheus has no redirect requests from the load run');
  });

  it('fails and says why when nothing listens at the target', async () => {
    const run = await runLoad(['--rate', '2', '--duration', '2s', '--target', 'http://127.0.0.1:9']);
    assert.notEqual(run.code, 0);
    assert.match(run.output, /ECONNREFUSED/);
    assert.match(run.output, /load: artillery failed \(exit \d+\); is the stack up at http:\/\/127\.0\.0\.1:9\?/);
  });
});
