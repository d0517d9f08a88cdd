/** search's metrics (names in docs/CONTRACTS.md). */
import { counter, histogram, SUB_SECOND_BUCKETS } from '@meshmart/kit';

export const indexEvents = counter(
  'search_index_events_total',
  'Product and stock events by outcome: applied, or stale (an older or repeated revision, ignored)',
  ['topic', 'outcome'],
);

export const indexLagSeconds = histogram(
  'search_index_lag_seconds',
  'From the time an applied event says its change happened to the time it was indexed',
  ['topic'],
  [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
);

export const queryDurationSeconds = histogram(
  'search_query_duration_seconds',
  'Time PostgreSQL took to answer a search or a suggestion',
  ['kind'],
  SUB_SECOND_BUCKETS,
);

export const rebuildProducts = counter('search_rebuild_products_total', 'Products a rebuild from catalog indexed or removed', [
  'outcome',
]);
