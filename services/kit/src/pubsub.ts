/**
 * Programmatic Dapr subscriptions served from Koa. Dapr reads `GET /dapr/subscribe`
 * once at start, then POSTs each CloudEvent to the route. The answer tells Dapr what to
 * do: SUCCESS (done), RETRY (redeliver later) or DROP (never redeliver; a poison event).
 *
 * Every subscription names the dead-letter topic, so what the app DROPs, and what still
 * fails once the sidecar's inbound Resiliency retries are spent, is published there by
 * Dapr instead of being requeued forever or acknowledged into nothing. One service
 * (analytics) consumes that topic and counts each dead letter once.
 */
import type Router from '@koa/router';
import { type EventData, type EventEnvelope, type EventTopic, readEnvelope } from '@meshmart/contracts/events';
import { deadLetterTopic } from './deployment/dead-letters.ts';
import type { Logger } from './logging.ts';
import { eventMetrics } from './metrics.ts';
import { type Topic, topics } from './topology.ts';

export { deadLetterTopic };

const deadLetterReasons = ['malformed', 'undeliverable'] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];

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

/**
 * The subscriptions of a read model: per topic, an applier that answers whether the event
 * changed anything (false for a repeat or an older revision); `observe` is told each answer.
 */
export function readModelSubscriptions<T extends Topic & EventTopic>(
  apply: { [K in T]: (data: EventData<K>) => Promise<boolean> },
  observe: (topic: T, applied: boolean, event: EventEnvelope) => void,
): Subscription[] {
  return (Object.keys(apply) as T[]).map((topic) => ({
    topic,
    async handle(event) {
      const applied = await (apply[topic] as (data: unknown) => Promise<boolean>)(event.data);
      observe(topic, applied, event);
    },
  }));
}

export function routeFor(topic: string): string {
  return `/events/${topic.replace(/[^a-z0-9]+/gi, '-')}`;
}

export interface MountOptions {
  /** Subscribe to the dead-letter topic and count what arrives there (one service does). */
  consumeDeadLetters?: boolean;
}

export interface SubscriptionEntry {
  pubsubname: string;
  topic: string;
  route: string;
  deadLetterTopic?: string;
}

/** What `GET /dapr/subscribe` answers. */
export function subscriptionEntries(subscriptions: Subscription[], options: MountOptions = {}): SubscriptionEntry[] {
  const entries: SubscriptionEntry[] = subscriptions.map((s) => ({
    pubsubname: s.pubsub ?? 'pubsub',
    topic: s.topic,
    route: routeFor(s.topic),
    deadLetterTopic,
  }));
  // No dead-letter topic of its own: a failure here would dead-letter into itself.
  if (options.consumeDeadLetters)
    entries.push({ pubsubname: 'pubsub', topic: deadLetterTopic, route: routeFor(deadLetterTopic) });
  return entries;
}

export function mountSubscriptions(
  router: Router,
  subscriptions: Subscription[],
  logger: Logger,
  options: MountOptions = {},
): void {
  router.get('/dapr/subscribe', (ctx) => {
    ctx.body = subscriptionEntries(subscriptions, options);
  });
  if (options.consumeDeadLetters) {
    // Every series starts at zero, so the first dead letter is an increase, not a new series.
    for (const topic of [...topics, 'unknown']) {
      for (const reason of deadLetterReasons) eventMetrics().deadLettered.inc({ topic, reason }, 0);
    }
    router.post(routeFor(deadLetterTopic), (ctx) => {
      recordDeadLetter((ctx.state.body ?? {}) as DeadLetterCloudEvent, logger);
      ctx.status = 200;
      ctx.body = { status: 'SUCCESS' };
    });
  }
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
    logger.warn('dropping malformed event to the dead-letter topic', {
      topic: sub.topic,
      cloud_event_id: cloudEvent.id,
      reason: read.reason,
    });
    return 'DROP';
  }
  try {
    await sub.handle(read.event, cloudEvent);
    return 'SUCCESS';
  } catch (err) {
    if (err instanceof DropEvent) {
      logger.warn('dropping event to the dead-letter topic', {
        topic: sub.topic,
        event_id: read.event.eventId,
        reason: err.message,
      });
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

export interface DeadLetterCloudEvent {
  id?: unknown;
  topic?: unknown;
  data?: unknown;
}

const knownTopics: ReadonlySet<string> = new Set(topics);

/**
 * Counts and logs one dead letter. Dapr republishes the original CloudEvent unchanged, so
 * its `topic` is the topic it failed on; the reason is what can be told from the event
 * itself: a malformed envelope, or a valid one that a subscriber dropped or could not
 * handle within its retries. The topic label is bounded to the topology's topics.
 */
export function recordDeadLetter(cloudEvent: DeadLetterCloudEvent, logger: Logger): { topic: string; reason: DeadLetterReason } {
  const topic = typeof cloudEvent.topic === 'string' && knownTopics.has(cloudEvent.topic) ? cloudEvent.topic : 'unknown';
  const read = readEnvelope(cloudEvent.data);
  const reason: DeadLetterReason = read.ok ? 'undeliverable' : 'malformed';
  eventMetrics().deadLettered.inc({ topic, reason });
  logger.warn('event dead-lettered', {
    topic,
    reason,
    cloud_event_id: typeof cloudEvent.id === 'string' ? cloudEvent.id : undefined,
    ...(read.ok ? { event_id: read.event.eventId } : { detail: read.reason }),
  });
  return { topic, reason };
}
