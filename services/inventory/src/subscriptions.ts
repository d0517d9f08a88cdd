/** Events inventory reacts to. */

import { PRODUCT_ID } from '@meshmart/contracts/common';
import { DropEvent, type EventEnvelope, type Subscription } from '@meshmart/kit';
import type { Ledger } from './ledger.ts';
import { RESERVATION_ID } from './schemas.ts';

function productId(id: string): string {
  if (!PRODUCT_ID.test(id)) throw new DropEvent(`product id ${JSON.stringify(id)} is not one inventory can keep`);
  return id;
}

/**
 * A cancelled order's stock goes back: held stock is released, sold stock returned. The
 * reservation id is the order id; a redelivery finds the reservation settled already.
 */
export function orderCancelled(ledger: Ledger): Subscription {
  return {
    topic: 'order.cancelled',
    async handle(event: EventEnvelope) {
      if (event.topic !== 'order.cancelled') throw new DropEvent(`a ${event.topic} event arrived on order.cancelled`);
      const { orderId } = (event as EventEnvelope<'order.cancelled'>).data;
      if (!RESERVATION_ID.test(orderId)) throw new DropEvent(`order id ${JSON.stringify(orderId)} cannot name a reservation`);
      await ledger.cancelOrder(orderId);
    },
  };
}

/** A new product gets a stock of 0 to be set by an admin; names are kept for low-stock alerts. */
export function productEvents(ledger: Ledger): Subscription[] {
  const changed = (topic: 'product.created' | 'product.updated'): Subscription => ({
    topic,
    async handle(event: EventEnvelope) {
      if (event.topic !== topic) throw new DropEvent(`a ${event.topic} event arrived on ${topic}`);
      const { productId: id, name, revision } = (event as EventEnvelope<typeof topic>).data;
      await ledger.productChanged(productId(id), name, revision);
    },
  });
  return [
    changed('product.created'),
    changed('product.updated'),
    {
      topic: 'product.deleted',
      async handle(event: EventEnvelope) {
        if (event.topic !== 'product.deleted') throw new DropEvent(`a ${event.topic} event arrived on product.deleted`);
        const { productId: id, revision } = (event as EventEnvelope<'product.deleted'>).data;
        await ledger.productDeleted(productId(id), revision);
      },
    },
  ];
}
