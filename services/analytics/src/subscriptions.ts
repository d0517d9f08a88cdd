/**
 * Every domain event of the topology in, rollup increments out. Each event is counted
 * once: its id is claimed in the statement that adds its increments (rollup-store.ts), so a
 * redelivery adds nothing and is answered SUCCESS. A database failure throws, and the
 * kit answers RETRY so Dapr redelivers; the claim was rolled back with the increments.
 */
import type { Logger, Subscription } from '@meshmart/kit';
import { service } from '@meshmart/kit/topology';
import { rollupOf } from './increments.ts';
import { eventsCounted, eventsDuplicate } from './metrics.ts';
import type { RollupStore } from './rollup-store.ts';

export function analyticsSubscriptions(store: RollupStore, logger: Logger): Subscription[] {
  return service('analytics').subscribes.map((topic) => ({
    topic,
    async handle(event) {
      const { at, increments, productNames } = rollupOf(event);
      if (await store.countEvent(event.eventId, event.topic, at, increments, productNames)) {
        eventsCounted.inc({ topic: event.topic });
        return;
      }
      eventsDuplicate.inc({ topic: event.topic });
      logger.info('event already counted; redelivery ignored', { topic: event.topic, event_id: event.eventId });
    },
  }));
}
