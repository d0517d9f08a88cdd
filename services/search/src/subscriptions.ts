/**
 * Product and stock events into the index. Each write is conditional on the revision
 * (index-writer.ts), so redeliveries and reordered deliveries are simply counted as
 * stale; a write that fails throws, and Dapr redelivers.
 */
import { readModelSubscriptions, type Subscription } from '@meshmart/kit';
import type { IndexWriter } from './index-writer.ts';
import { indexEvents, indexLagSeconds } from './metrics.ts';

export function searchSubscriptions(writer: IndexWriter): Subscription[] {
  return readModelSubscriptions(
    {
      'product.created': (data) => writer.applyProduct(data),
      'product.updated': (data) => writer.applyProduct(data),
      'product.deleted': (data) => writer.applyDeleted(data),
      'inventory.stock_changed': (data) => writer.applyStock(data),
    },
    (topic, applied, event) => {
      indexEvents.inc({ topic, outcome: applied ? 'applied' : 'stale' });
      if (applied) {
        const at = Date.parse((event.data as { at: string }).at);
        indexLagSeconds.observe({ topic }, Math.max(0, (Date.now() - at) / 1000));
      }
    },
  );
}
