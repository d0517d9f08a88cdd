/**
 * Publishes the events waiting in product documents through the sidecar, in the order
 * they were written per product, and clears them only after the broker has them all:
 * at least once, with the event id as the CloudEvent id so subscribers drop duplicates.
 * The clear is conditioned on the revision that was published; a write in between keeps
 * its events (and the published ones go out again next time). Runs every poll interval
 * and right after a write, backing off while publishing fails.
 */
import { cloudEventType, eventMetrics, type Logger, type Publisher, startRelayLoop } from '@meshmart/kit';
import type { CatalogModels, ProductDoc } from './models.ts';
import type { OneAtATime } from './one-at-a-time.ts';

export interface EventRelay {
  /** Runs as soon as the current pass is over. */
  nudge(): void;
  stop(): Promise<void>;
}

export interface EventRelayOptions {
  /** The product writes of this process, which a clear must not overlap. */
  serially: OneAtATime;
  pubsub: string;
  pollMs: number;
  logger: Logger;
  batchSize?: number;
  maxBackoffMs?: number;
}

export function startEventRelay(models: CatalogModels, publisher: Publisher, options: EventRelayOptions): EventRelay {
  const { serially, pubsub, pollMs, logger, batchSize = 100, maxBackoffMs = 30_000 } = options;
  async function publish(p: ProductDoc): Promise<number> {
    for (const { envelope, traceparent, tracestate } of p.pendingEvents) {
      await publisher.publish(pubsub, envelope.topic, envelope, {
        ...(traceparent && { traceparent }),
        ...(tracestate && { tracestate }),
        metadata: { 'cloudevent.id': envelope.eventId, 'cloudevent.type': cloudEventType(envelope.topic) },
      });
      eventMetrics().published.inc({ topic: envelope.topic });
    }
    await serially.run(p._id, () =>
      models.products.updateOne(
        { _id: p._id, revision: p.revision, eventsPending: true },
        { $set: { pendingEvents: [], eventsPending: false } },
      ),
    );
    return p.pendingEvents.length;
  }

  async function drain(): Promise<number> {
    let published = 0;
    try {
      for (;;) {
        const pending = await models.products.find({ eventsPending: true }).limit(batchSize).lean<ProductDoc[]>();
        for (const p of pending) published += await publish(p);
        if (pending.length < batchSize) return published;
      }
    } finally {
      eventMetrics().outboxPending.set(await models.products.countDocuments({ eventsPending: true }).catch(() => 0));
    }
  }

  const loop = startRelayLoop('product-events', drain, { pollMs, maxBackoffMs, logger });

  return {
    nudge: () => loop.nudge(),
    stop: () => loop.stop(),
  };
}
