/** analytics' business metrics (names in docs/CONTRACTS.md). */
import { counter } from '@meshmart/kit';
import { topics } from '@meshmart/kit/topology';

export const eventsCounted = counter('analytics_events_counted_total', 'Domain events added to the rollups, by topic', ['topic']);
export const eventsDuplicate = counter(
  'analytics_events_duplicate_total',
  'Redelivered domain events recognised by their id and not counted again, by topic',
  ['topic'],
);
export const tracked = counter(
  'analytics_tracked_total',
  'Client events received on POST /analytics/track, by outcome: counted, or duplicate (event id seen before)',
  ['outcome'],
);
export const cacheLookups = counter(
  'analytics_cache_lookups_total',
  'Report cache lookups in the state store, by result: hit, miss, or error (the report is computed instead)',
  ['result'],
);

// Every series exists from the start at 0, so dashboards and alerts see "none yet"
// rather than no data, and rate() has a starting sample.
for (const topic of topics) {
  eventsCounted.inc({ topic }, 0);
  eventsDuplicate.inc({ topic }, 0);
}
for (const outcome of ['counted', 'duplicate'] as const) tracked.inc({ outcome }, 0);
