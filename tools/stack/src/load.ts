/**
 * `npm run load -- --rate 50 --duration 2m [--target http://127.0.0.1:3000]`: user
 * journeys (load-script.ts) arriving at a fixed rate against a running stack, through
 * Artillery (scripts/setup/load-tool.sh installs it into .tools on first use). Artillery
 * prints its report every 10 s and at the end; the whole report is kept under
 * .data/load/, and a last line sums it up: requests, p95, errors.
 * The gateway's rate limits are per client, and all of this comes from one: start the
 * stack with higher limits for a load run (docs/performance.md).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadScript, parseDuration } from './load-script.ts';
import { dataDir, repoRoot } from './paths.ts';

export interface LoadSummary {
  requests: number;
  p95: number;
  errors: number;
  /** Answers by status code, and failures without an answer by error code. */
  outcomes: Record<string, number>;
}

/** The figures of Artillery's JSON report a user looks at first. */
export function summarize(report: {
  aggregate: { counters?: Record<string, number>; summaries?: Record<string, { p95?: number }> };
}): LoadSummary {
  const counters = report.aggregate.counters ?? {};
  const outcomes: Record<string, number> = {};
  let errors = 0;
  for (const [name, count] of Object.entries(counters)) {
    const code = /^http\.codes\.(\d+)$/.exec(name)?.[1];
    if (code) {
      outcomes[code] = count;
      // A redirect is the answer the short links give; anything 4xx/5xx is an error.
      if (Number(code) >= 400) errors += count;
    } else if (name.startsWith('errors.')) {
      outcomes[name.slice('errors.'.length)] = count;
      errors += count;
    }
  }
  return {
    requests: counters['http.requests'] ?? 0,
    p95: report.aggregate.summaries?.['http.response_time']?.p95 ?? Number.NaN,
    errors,
    outcomes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '10' },
      duration: { type: 'string', default: '1m' },
      target: { type: 'string', default: 'http://127.0.0.1:3000' },
    },
  });
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`--rate ${values.rate}: expected journeys per second`);
  const durationSeconds = parseDuration(values.duration);
  const artillery = execFileSync('bash', [path.join(repoRoot, 'scripts/setup/load-tool.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();

  const dir = path.join(dataDir, 'load');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
  const scriptFile = path.join(dir, `${stamp}.script.json`);
  const reportFile = path.join(dir, `${stamp}.report.json`);
  writeFileSync(scriptFile, JSON.stringify(loadScript({ target: values.target, rate, durationSeconds }), null, 2));

  process.stdout.write(`load: ${rate} journeys/s for ${durationSeconds}s against ${values.target}\n`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(artillery, ['run', '--output', reportFile, scriptFile], {
      stdio: 'inherit',
      // Artillery reports its usage to its makers unless told not to.
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true' },
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) {
    // Artillery stops without a report when its set-up flow fails, e.g. nothing answers.
    process.stdout.write(`load: artillery failed (exit ${code}); is the stack up at ${values.target}?\n`);
    process.exitCode = 1;
    return;
  }
  const summary = summarize(JSON.parse(readFileSync(reportFile, 'utf8')));
  process.stdout.write(
    `load summary: ${summary.requests} requests, p95 ${summary.p95} ms, ${summary.errors} errors ${JSON.stringify(summary.outcomes)}; report ${reportFile}\n`,
  );
  if (summary.outcomes['429']) {
    process.stdout.write(
      'load: the gateway refused requests for its per-client rate limits; start the stack with higher limits (docs/performance.md)\n',
    );
  }
  if (summary.requests === 0 || summary.errors > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
