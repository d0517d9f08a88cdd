/** Events catalog reacts to. */
import { DropEvent, type EventEnvelope, type Subscription } from '@meshmart/kit';
import type { Products } from './products.ts';

/**
 * inventory's stock figures, kept on the product for listings and the inStock filter.
 * Eventually consistent: the checkout asks inventory itself, never this copy.
 */
export function stockChanged(products: Products): Subscription {
  return {
    topic: 'inventory.stock_changed',
    async handle(event: EventEnvelope) {
      if (event.topic !== 'inventory.stock_changed') {
        throw new DropEvent(`a ${event.topic} event arrived on inventory.stock_changed`);
      }
      await products.stockChanged((event as EventEnvelope<'inventory.stock_changed'>).data);
    },
  };
}
