/**
 * Every domain event of the topology in, rollup increments out. Each event is counted
 * once: its id is claimed in the statement that adds its increments (rollup-store.ts), so a
 * redelivery adds nothing and is answered SUCCESS. A database failure throws, and the
 * kit answers RETRY so Dapr redelivers; the claim was rolled back with the increments.
 *
 * Deliveries come in batches (Dapr bulk subscribe): a batch is counted in one statement.
 * When that statement fails, each event is counted alone, so an event the database
 * refuses is retried by itself and does not hold back the rest of its batch.
 */
import { bulkDelivery, type EventEnvelope, type Logger, type Subscription } from '@meshmart/kit';
import { service } from '@meshmart/kit/topology';
import { rollupOf } from './increments.ts';
import { eventsCounted, eventsDuplicate } from './metrics.ts';
import type { CountedEvent, RollupStore } from './rollup-store.ts';

export function analyticsSubscriptions(store: RollupStore, logger: Logger): Subscription[] {
  const counted = (event: EventEnvelope, fresh: boolean) => {
    if (fresh) {
      eventsCounted.inc({ topic: event.topic });
      return;
    }
    eventsDuplicate.inc({ topic: event.topic });
    logger.info('event already counted; redelivery ignored', { topic: event.topic, event_id: event.eventId });
  };
  const countOne = async (event: EventEnvelope) => {
    const [fresh] = await store.countEvents([{ eventId: event.eventId, topic: event.topic, ...rollupOf(event) }]);
    counted(event, fresh === true);
  };
  return service('analytics').subscribes.map((topic) => ({
    topic,
    bulk: bulkDelivery,
    handle: countOne,
    async handleMany(deliveries) {
      const outcomes: Array<Error | undefined> = deliveries.map(() => undefined);
      const batch: Array<{ at: number; event: EventEnvelope; counted: CountedEvent }> = [];
      deliveries.forEach(({ event }, at) => {
        try {
          batch.push({ at, event, counted: { eventId: event.eventId, topic: event.topic, ...rollupOf(event) } });
        } catch (err) {
          outcomes[at] = err as Error;
        }
      });
      try {
        const fresh = await store.countEvents(batch.map((b) => b.counted));
        for (const [i, b] of batch.entries()) counted(b.event, fresh[i] === true);
      } catch {
        await Promise.all(
          batch.map(({ at, event }) =>
            countOne(event).catch((err: Error) => {
              outcomes[at] = err;
            }),
          ),
        );
      }
      return outcomes;
    },
  }));
}
