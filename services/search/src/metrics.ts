/** search's metrics (names in docs/CONTRACTS.md). */
import { counter, registry } from '@meshmart/kit';
import client from 'prom-client';

export const indexEvents = counter(
  'search_index_events_total',
  'Product and stock events by outcome: applied, or stale (an older or repeated revision, ignored)',
  ['topic', 'outcome'],
);

export const indexLagSeconds = new client.Histogram({
  name: 'search_index_lag_seconds',
  help: 'From the time an applied event says its change happened to the time it was indexed',
  labelNames: ['topic'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const queryDurationSeconds = new client.Histogram({
  name: 'search_query_duration_seconds',
  help: 'Time PostgreSQL took to answer a search or a suggestion',
  labelNames: ['kind'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

export const rebuildProducts = counter('search_rebuild_products_total', 'Products a rebuild from catalog indexed or removed', [
  'outcome',
]);
