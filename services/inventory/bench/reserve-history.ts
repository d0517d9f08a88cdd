/**
 * Reserve in-process on the stack's PostgreSQL: inventory's ledger called directly (no
 * gRPC, no sidecar) on a scratch database that already holds 100,000 settled
 * reservations and their movements, so the figure shows what history costs a Reserve.
 * `npm run bench` runs it while its stack is up; alone, PostgreSQL must be running
 * (`npm run stack -- infra`):
 *
 *   bash scripts/with-node.sh node --import tsx services/inventory/bench/reserve-history.ts
 *
 * prints, as its last line, `{"p50": <ms>, "p99": <ms>, "samples": n, "settled": n}`.
 */
import { createLogger, openDatabase } from '@meshmart/kit';
import { createScratchDatabase } from '@meshmart/stack';
import { percentile, reportBenchResult } from '@meshmart/stack/bench';
import { Ledger } from '../src/ledger.ts';
import { migrations } from '../src/migrations.ts';

const SETTLED_RESERVATIONS = 100_000;

async function reserveInProcess(samples = 1000): Promise<{ p50: number; p99: number; samples: number; settled: number }> {
  const db = await createScratchDatabase('inventory_bench');
  const logger = createLogger('bench', 'error');
  logger.silent = true;
  const pool = await openDatabase(db.url, migrations, logger, 4);
  try {
    const ledger = new Ledger(pool, { defaultTtlSeconds: 900, maxTtlSeconds: 86_400, defaultLowStockThreshold: 0 });
    for (const id of ['bench-a', 'bench-b']) await ledger.adjust(id, 1_000_000, 0, 'bench');
    await pool.query(
      `INSERT INTO reservations (id, status, lines, expires_at, created_at, updated_at)
       SELECT 'settled-' || g, (ARRAY['committed', 'released', 'expired', 'returned'])[1 + g % 4],
              '[{"productId":"bench-a","quantity":1},{"productId":"bench-b","quantity":1}]',
              now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
       FROM generate_series(1, $1) AS g`,
      [SETTLED_RESERVATIONS],
    );
    await pool.query(
      `INSERT INTO stock_movements (product_id, kind, reservation_id, available_delta, held_delta, at)
       SELECT p, 'reserve', 'settled-' || g, -1, 1, now() - interval '1 day'
       FROM generate_series(1, $1) AS g, unnest(ARRAY['bench-a', 'bench-b']) AS p`,
      [SETTLED_RESERVATIONS],
    );
    await pool.query('ANALYZE');
    const items = [
      { productId: 'bench-a', quantity: 1 },
      { productId: 'bench-b', quantity: 1 },
    ];
    for (let i = 0; i < 50; i++) await ledger.reserve(`warm-${i}`, items, 0);
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await ledger.reserve(`bench-${i}`, items, 0);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples, settled: SETTLED_RESERVATIONS };
  } finally {
    await pool.end();
    await db.drop();
  }
}

reportBenchResult(await reserveInProcess());
