/** Events catalog reacts to. */
import { DropEvent, type EventEnvelope, type Subscription } from '@meshmart/kit';
import type { Inventory } from './inventory.ts';
import { RESERVATION_ID } from './schemas.ts';

/**
 * A cancelled order's stock goes back: held stock is released, sold stock returned. The
 * reservation id is the order id; a redelivery finds the reservation released already.
 */
export function orderCancelled(inventory: Inventory): Subscription {
  return {
    topic: 'order.cancelled',
    async handle(event: EventEnvelope) {
      if (event.topic !== 'order.cancelled') throw new DropEvent(`a ${event.topic} event arrived on order.cancelled`);
      const { orderId } = (event as EventEnvelope<'order.cancelled'>).data;
      if (!RESERVATION_ID.test(orderId)) throw new DropEvent(`order id ${JSON.stringify(orderId)} cannot name a reservation`);
      await inventory.cancelOrder(orderId);
    },
  };
}
