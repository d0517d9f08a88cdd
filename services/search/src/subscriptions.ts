/**
 * Product and stock events into the index. Each write is conditional on the revision
 * (index-writer.ts), so redeliveries and reordered deliveries are simply counted as
 * stale; a write that fails throws, and Dapr redelivers.
 */
import type { EventEnvelope, Subscription } from '@meshmart/kit';
import type { IndexWriter } from './index-writer.ts';
import { indexEvents, indexLagSeconds } from './metrics.ts';

type Handled = 'product.created' | 'product.updated' | 'product.deleted' | 'inventory.stock_changed';

export function searchSubscriptions(writer: IndexWriter): Subscription[] {
  const apply: Record<Handled, (event: EventEnvelope) => Promise<boolean>> = {
    'product.created': (e) => writer.applyProduct((e as EventEnvelope<'product.created'>).data),
    'product.updated': (e) => writer.applyProduct((e as EventEnvelope<'product.updated'>).data),
    'product.deleted': (e) => writer.applyDeleted((e as EventEnvelope<'product.deleted'>).data),
    'inventory.stock_changed': (e) => writer.applyStock((e as EventEnvelope<'inventory.stock_changed'>).data),
  };
  return (Object.keys(apply) as Handled[]).map((topic) => ({
    topic,
    async handle(event) {
      const applied = await apply[topic](event);
      indexEvents.inc({ topic, outcome: applied ? 'applied' : 'stale' });
      if (applied) {
        const at = Date.parse((event.data as { at: string }).at);
        indexLagSeconds.observe({ topic }, Math.max(0, (Date.now() - at) / 1000));
      }
    },
  }));
}
