/**
 * Where search's time goes in PostgreSQL: each bench query's statement, as search builds
 * it, run on a scratch database holding the bench's 10,000 products. Per query it prints
 * the median planning and execution time from EXPLAIN (ANALYZE, BUFFERS) and the CPU its
 * backend spent per statement (from /proc, steadier than wall time on a shared machine);
 * `--plans` prints each plan as well. Starts PostgreSQL when it is not up, so run it under
 * the stack lock:
 *
 *   flock /tmp/meshmart-stack.lock bash scripts/with-node.sh node --import tsx services/search/bench/plans.ts [--plans]
 */
import { loadavg } from 'node:os';
import { searchQuery } from '@meshmart/contracts/search';
import { createLogger, openDatabase } from '@meshmart/kit';
import { createScratchDatabase, startInfra } from '@meshmart/stack';
import { percentile, SEARCH_PRODUCTS, SEARCH_QUERIES, sampleCpu, seedSearchProducts } from '@meshmart/stack/bench';
import { migrations } from '../src/migrations.ts';
import { searchStatement } from '../src/queries.ts';

const RUNS = Number(process.env.PLAN_RUNS ?? 40);
const showPlans = process.argv.includes('--plans');

interface Explained {
  'Planning Time': number;
  'Execution Time': number;
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

const infra = await startInfra({ only: ['postgres'], quiet: true });
const db = await createScratchDatabase('search_plans');
const logger = createLogger('search-plans', 'error');
logger.silent = true;
const pool = await openDatabase(db.url, migrations, logger, 1);
try {
  await seedSearchProducts(pool);
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = [{ name: 'backend', pid: rows[0]?.pid as number }];
    process.stdout.write(`${SEARCH_PRODUCTS} products, ${RUNS} runs a query, load average ${loadavg()[0]?.toFixed(2)}\n`);
    process.stdout.write(
      `${'query'.padEnd(40)} ${'rows'.padStart(5)} ${'plan ms'.padStart(8)} ${'exec ms'.padStart(8)} ${'CPU ms'.padStart(7)}\n`,
    );
    for (const params of SEARCH_QUERIES) {
      const statement = searchStatement(searchQuery.parse(Object.fromEntries(new URLSearchParams(params))));
      const run = () => client.query<{ total: number }>(statement);
      const total = (await run()).rows[0]?.total;
      const cpuBefore = sampleCpu(backend).get('backend') ?? 0;
      for (let i = 0; i < RUNS; i++) await run();
      const cpuMs = ((sampleCpu(backend).get('backend') ?? 0) - cpuBefore) / RUNS;
      const planning: number[] = [];
      const execution: number[] = [];
      let plan = '';
      for (let i = 0; i < RUNS; i++) {
        const explained = await client.query<{ 'QUERY PLAN': [Explained] }>({
          text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`,
          values: statement.values,
        });
        const [figures] = explained.rows[0]?.['QUERY PLAN'] ?? [];
        if (!figures) throw new Error(`EXPLAIN gave no plan for ${params}`);
        planning.push(figures['Planning Time']);
        execution.push(figures['Execution Time']);
      }
      if (showPlans) {
        const text = await client.query<{ 'QUERY PLAN': string }>({
          text: `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`,
          values: statement.values,
        });
        plan = `${text.rows.map((r) => r['QUERY PLAN']).join('\n')}\n\n`;
      }
      const label = decodeURIComponent(params);
      process.stdout.write(
        `${label.padEnd(40)} ${String(total).padStart(5)} ${median(planning).toFixed(2).padStart(8)} ${median(execution).toFixed(2).padStart(8)} ${cpuMs.toFixed(2).padStart(7)}\n${plan}`,
      );
    }
  } finally {
    client.release();
  }
} finally {
  await pool.end();
  await db.drop();
  await infra.stop();
}
