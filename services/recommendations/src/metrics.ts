/** recommendations' metrics (names in docs/CONTRACTS.md). */
import { counter } from '@meshmart/kit';

export const recommendationsServed = counter(
  'recommendations_served_total',
  'Recommendations returned, by list (bought_together, for_you) and source (bought_together, category_best_seller, best_seller)',
  ['list', 'source'],
);

export const recommendationEvents = counter(
  'recommendations_events_total',
  'Events by topic and outcome: applied, or ignored (repeated, older, or already undone)',
  ['topic', 'outcome'],
);
