/** Orders, products and stock into the counts and the catalog view; a failed write throws and Dapr redelivers. */
import type { EventEnvelope, Subscription } from '@meshmart/kit';
import type { CatalogView } from './catalog-view.ts';
import type { OrderCounts } from './counts.ts';
import { recommendationEvents } from './metrics.ts';

type Handled =
  | 'order.paid'
  | 'order.cancelled'
  | 'product.created'
  | 'product.updated'
  | 'product.deleted'
  | 'inventory.stock_changed';

export function recommendationSubscriptions(counts: OrderCounts, catalog: CatalogView): Subscription[] {
  const apply: Record<Handled, (event: EventEnvelope) => Promise<boolean>> = {
    'order.paid': (e) => counts.paid((e as EventEnvelope<'order.paid'>).data),
    'order.cancelled': (e) => counts.cancelled((e as EventEnvelope<'order.cancelled'>).data),
    'product.created': (e) => catalog.product((e as EventEnvelope<'product.created'>).data),
    'product.updated': (e) => catalog.product((e as EventEnvelope<'product.updated'>).data),
    'product.deleted': (e) => catalog.deleted((e as EventEnvelope<'product.deleted'>).data),
    'inventory.stock_changed': (e) => catalog.stock((e as EventEnvelope<'inventory.stock_changed'>).data),
  };
  return (Object.keys(apply) as Handled[]).map((topic) => ({
    topic,
    async handle(event) {
      const applied = await apply[topic](event);
      recommendationEvents.inc({ topic, outcome: applied ? 'applied' : 'ignored' });
    },
  }));
}
