/**
 * Publishes the events waiting in product revisions through the sidecar, in revision
 * order per product, and marks a revision published only after the broker has all its
 * events: at least once, with the event id as the CloudEvent id so subscribers can drop
 * duplicates (two replicas' relays can both publish a revision they found at once).
 */
import { cloudEventType, eventMetrics, type Logger, type Publisher } from '@meshmart/kit';
import type { ProductState } from './models.ts';
import type { Revision, VersionedStore } from './versioned-store.ts';

export interface RelayOptions {
  pubsub: string;
  logger: Logger;
  batchSize?: number;
}

export class ProductOutboxRelay {
  private readonly batchSize: number;

  constructor(
    private readonly products: VersionedStore<ProductState>,
    private readonly publisher: Publisher,
    private readonly options: RelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
  }

  /** Publishes everything pending; answers how many events went out. */
  async drain(): Promise<number> {
    let published = 0;
    try {
      for (;;) {
        const pending = await this.products.withPendingEvents(this.batchSize);
        const byProduct = new Map<string, Revision<ProductState>[]>();
        for (const r of pending) byProduct.set(r.key, [...(byProduct.get(r.key) ?? []), r]);
        for (const revisions of byProduct.values()) {
          for (const revision of revisions.sort((a, b) => a.rev - b.rev)) published += await this.publish(revision);
        }
        if (pending.length < this.batchSize) return published;
      }
    } finally {
      eventMetrics().outboxPending.set(await this.products.countPendingEvents());
    }
  }

  private async publish(revision: Revision<ProductState>): Promise<number> {
    for (const { envelope, traceparent, tracestate } of revision.events) {
      await this.publisher.publish(this.options.pubsub, envelope.topic, envelope, {
        ...(traceparent && { traceparent }),
        ...(tracestate && { tracestate }),
        metadata: { 'cloudevent.id': envelope.eventId, 'cloudevent.type': cloudEventType(envelope.topic) },
      });
      eventMetrics().published.inc({ topic: envelope.topic });
    }
    await this.products.markPublished(revision);
    return revision.events.length;
  }
}
