import { counter, gauge, histogram } from '@meshmart/kit';

export const linksCreated = counter('links_created_total', 'Short links created, by whether the code was a chosen alias', [
  'custom_alias',
]);
export const redirects = counter('links_redirects_total', 'ResolveURL answers, by outcome', ['outcome']);
export const clicksRecorded = counter('links_clicks_recorded_total', 'Clicks committed to PostgreSQL');
export const clicksDropped = counter(
  'links_clicks_dropped_total',
  'Clicks lost because PostgreSQL refused them while the in-memory backlog was full',
);
export const cacheLookups = counter('links_cache_lookups_total', 'State store lookups of a code, by result', ['result']);
export const clickBatchSize = histogram(
  'links_click_batch_size',
  'Clicks committed per transaction',
  [],
  [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
);
export const clickBacklog = gauge('links_click_backlog', 'Clicks held in memory until PostgreSQL takes them again');
export const streamsOpen = gauge('links_streams_open', 'StreamClickStatistics calls open on this replica');
