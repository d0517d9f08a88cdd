/** Orders, products and stock into the counts and the catalog view; a failed write throws and Dapr redelivers. */
import { readModelSubscriptions, type Subscription } from '@meshmart/kit';
import type { CatalogView } from './catalog-view.ts';
import type { OrderCounts } from './counts.ts';
import { recommendationEvents } from './metrics.ts';

export function recommendationSubscriptions(counts: OrderCounts, catalog: CatalogView): Subscription[] {
  return readModelSubscriptions(
    {
      'order.paid': (data) => counts.paid(data),
      'order.cancelled': (data) => counts.cancelled(data),
      'product.created': (data) => catalog.product(data),
      'product.updated': (data) => catalog.product(data),
      'product.deleted': (data) => catalog.deleted(data),
      'inventory.stock_changed': (data) => catalog.stock(data),
    },
    (topic, applied) => recommendationEvents.inc({ topic, outcome: applied ? 'applied' : 'ignored' }),
  );
}
