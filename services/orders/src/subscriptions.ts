/**
 * payment.* events. The saga is driven by payments' synchronous answers; these events
 * only complete the timeline and catch the one thing an answer can miss: a charge that
 * went through while orders was not listening (a timeout, a crash). Redeliveries are
 * recognised by event id.
 */
import type { EventData, Logger, Subscription } from '@meshmart/kit';
import type { OrdersRepo, PaymentEvent } from './orders-store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type PaymentTopic = PaymentEvent['topic'];

export function paymentSubscriptions(
  repo: OrdersRepo,
  logger: Logger,
  onRefundScheduled: (orderId: string) => void,
): Subscription[] {
  const topics: PaymentTopic[] = ['payment.succeeded', 'payment.failed', 'payment.refunded'];
  return topics.map((topic) => ({
    topic,
    async handle(event) {
      const data = event.data as EventData<PaymentTopic>;
      // Not an order id of ours: payments has other callers in principle; nothing to record.
      if (!UUID.test(data.orderId)) return;
      const result = await repo.recordPaymentEvent({
        eventId: event.eventId,
        topic,
        orderId: data.orderId,
        paymentId: data.paymentId,
        amountMinor: data.amountMinor,
      });
      if (result === 'refund_scheduled') {
        logger.warn('a charge arrived for a failed order; refunding it', { order_id: data.orderId, payment_id: data.paymentId });
        onRefundScheduled(data.orderId);
      }
    },
  }));
}
