/**
 * Programmatic Dapr subscriptions served from Koa. Dapr reads `GET /dapr/subscribe`
 * once at start, then POSTs each CloudEvent to the route. The answer tells Dapr what to
 * do: SUCCESS (done), RETRY (redeliver later) or DROP (never redeliver; a poison event).
 */
import type Router from '@koa/router';
import { type EventEnvelope, readEnvelope } from './events.ts';
import type { Logger } from './logging.ts';
import { eventMetrics } from './metrics.ts';
import type { Topic } from './topology.ts';

export type DeliveryStatus = 'SUCCESS' | 'RETRY' | 'DROP';

/** Thrown by a handler for an event that can never succeed. */
export class DropEvent extends Error {
  override name = 'DropEvent';
}

export interface Subscription {
  topic: Topic;
  pubsub?: string;
  /** Handles one event. Throwing retries it, throwing DropEvent drops it. */
  handle(event: EventEnvelope, cloudEvent: { id?: string; traceparent?: string }): Promise<void>;
}

export function routeFor(topic: string): string {
  return `/events/${topic.replace(/[^a-z0-9]+/gi, '-')}`;
}

export function mountSubscriptions(router: Router, subscriptions: Subscription[], logger: Logger): void {
  router.get('/dapr/subscribe', (ctx) => {
    ctx.body = subscriptions.map((s) => ({ pubsubname: s.pubsub ?? 'pubsub', topic: s.topic, route: routeFor(s.topic) }));
  });
  for (const sub of subscriptions) {
    router.post(routeFor(sub.topic), async (ctx) => {
      const cloudEvent = (ctx.state.body ?? {}) as { id?: string; data?: unknown; traceparent?: string };
      const status = await deliver(sub, cloudEvent, logger);
      eventMetrics().received.inc({ topic: sub.topic, outcome: status });
      ctx.status = 200;
      ctx.body = { status };
    });
  }
}

export async function deliver(
  sub: Subscription,
  cloudEvent: { id?: string; data?: unknown; traceparent?: string },
  logger: Logger,
): Promise<DeliveryStatus> {
  const read = readEnvelope(cloudEvent.data);
  if (!read.ok) {
    logger.error('dropping malformed event', { topic: sub.topic, cloud_event_id: cloudEvent.id, reason: read.reason });
    return 'DROP';
  }
  try {
    await sub.handle(read.event, cloudEvent);
    return 'SUCCESS';
  } catch (err) {
    if (err instanceof DropEvent) {
      logger.error('dropping event', { topic: sub.topic, event_id: read.event.eventId, reason: err.message });
      return 'DROP';
    }
    logger.warn('event handling failed; Dapr will redeliver', {
      topic: sub.topic,
      event_id: read.event.eventId,
      err: (err as Error).message,
    });
    return 'RETRY';
  }
}
