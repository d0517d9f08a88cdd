/**
 * Programmatic Dapr subscriptions served from Koa. Dapr reads `GET /dapr/subscribe`
 * once at start, then POSTs each CloudEvent to the route. The answer tells Dapr what to
 * do: SUCCESS (done), RETRY (redeliver later) or DROP (never redeliver; a poison event).
 *
 * A subscription with `bulk` takes its deliveries in batches (Dapr's bulk subscribe): one
 * POST carries up to `maxMessages` events, and the answer gives each its own status, so
 * one failing event is redelivered (or dead-lettered) alone. `handleMany` lets a
 * subscriber handle a batch at once (one database statement); without it each event
 * goes through `handle`.
 *
 * Every subscription names the dead-letter topic, so what the app DROPs, and what still
 * fails once the sidecar's inbound Resiliency retries are spent, is published there by
 * Dapr instead of being requeued forever or acknowledged into nothing. One service
 * (analytics) consumes that topic and counts each dead letter once.
 */
import type Router from '@koa/router';
import { type EventData, type EventEnvelope, type EventTopic, readEnvelope } from '@meshmart/contracts/events';
import type { Context } from 'koa';
import { type AppOptions, DEFAULT_BODY_LIMIT } from './app.ts';
import { parseSize } from './body.ts';
import { PUBSUB_PREFETCH } from './deployment/components.ts';
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

/**
 * Bulk deliveries as large as what the broker hands a subscriber unacknowledged, so a
 * full batch goes at once; daprd sends a partial one every 50 ms, which bounds what a
 * quiet topic adds to an event's way.
 */
export const bulkDelivery = { maxMessages: PUBSUB_PREFETCH, maxAwaitMs: 50 } as const;

export interface CloudEventFields {
  id?: string;
  traceparent?: string;
}

export interface Subscription {
  topic: Topic;
  pubsub?: string;
  /** Handles one event. Throwing retries it, throwing DropEvent drops it. */
  handle(event: EventEnvelope, cloudEvent: CloudEventFields): Promise<void>;
  /** Deliveries in batches of at most `maxMessages`, each batch sent at the latest `maxAwaitMs` after the previous one. */
  bulk?: { maxMessages: number; maxAwaitMs: number };
  /**
   * Handles a batch: resolves with one outcome per event, in order (undefined when it was
   * handled, else what `handle` would have thrown). Rejecting retries the whole batch.
   */
  handleMany?(events: Array<{ event: EventEnvelope; cloudEvent: CloudEventFields }>): Promise<Array<Error | undefined>>;
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
  bulkSubscribe?: { enabled: true; maxMessagesCount: number; maxAwaitDurationMs: number };
}

/** What `GET /dapr/subscribe` answers. */
export function subscriptionEntries(subscriptions: Subscription[], options: MountOptions = {}): SubscriptionEntry[] {
  const entries: SubscriptionEntry[] = subscriptions.map((s) => ({
    pubsubname: s.pubsub ?? 'pubsub',
    topic: s.topic,
    route: routeFor(s.topic),
    deadLetterTopic,
    ...(s.bulk && {
      bulkSubscribe: { enabled: true, maxMessagesCount: s.bulk.maxMessages, maxAwaitDurationMs: s.bulk.maxAwaitMs },
    }),
  }));
  // No dead-letter topic of its own: a failure here would dead-letter into itself.
  if (options.consumeDeadLetters)
    entries.push({ pubsubname: 'pubsub', topic: deadLetterTopic, route: routeFor(deadLetterTopic) });
  return entries;
}

/**
 * The app's body limit, widened on bulk routes: a batch carries up to `maxMessages`
 * events, each allowed what one event alone may weigh. A batch refused for its size would
 * be redelivered whole until it reached the dead-letter topic.
 */
export function bodyLimitWithBulk(
  subscriptions: Subscription[],
  limit: NonNullable<AppOptions['bodyLimit']> = DEFAULT_BODY_LIMIT,
): NonNullable<AppOptions['bodyLimit']> {
  const batches = new Map(subscriptions.flatMap((s) => (s.bulk ? [[routeFor(s.topic), s.bulk.maxMessages] as const] : [])));
  if (batches.size === 0) return limit;
  return (ctx: Context) => {
    const one = typeof limit === 'function' ? limit(ctx) : limit;
    const events = batches.get(ctx.path);
    return events === undefined ? one : `${parseSize(one) * events}b`;
  };
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
    if (sub.bulk) {
      router.post(routeFor(sub.topic), async (ctx) => {
        const entries = ((ctx.state.body ?? {}) as { entries?: unknown }).entries;
        const statuses = await deliverBulk(sub, Array.isArray(entries) ? (entries as BulkEntry[]) : [], logger);
        for (const { status } of statuses) eventMetrics().received.inc({ topic: sub.topic, outcome: status });
        ctx.status = 200;
        ctx.body = { statuses };
      });
      continue;
    }
    router.post(routeFor(sub.topic), async (ctx) => {
      const cloudEvent = (ctx.state.body ?? {}) as CloudEvent;
      const status = await deliver(sub, cloudEvent, logger);
      eventMetrics().received.inc({ topic: sub.topic, outcome: status });
      ctx.status = 200;
      ctx.body = { status };
    });
  }
}

type CloudEvent = CloudEventFields & { data?: unknown };

export async function deliver(sub: Subscription, cloudEvent: CloudEvent, logger: Logger): Promise<DeliveryStatus> {
  const read = readEnvelope(cloudEvent.data);
  if (!read.ok) return dropMalformed(sub, cloudEvent, read.reason, logger);
  try {
    await sub.handle(read.event, cloudEvent);
    return 'SUCCESS';
  } catch (err) {
    return statusOf(sub, read.event, err, logger);
  }
}

/** One entry of a bulk delivery as daprd sends it: the CloudEvent under `event`. */
export interface BulkEntry {
  entryId: string;
  event?: CloudEvent;
}

/**
 * The status of every entry of a bulk delivery: malformed events are dropped, the rest
 * handled together by `handleMany` (or one by one by `handle`), each answered as
 * `deliver` would have answered it alone.
 */
export async function deliverBulk(
  sub: Subscription,
  entries: BulkEntry[],
  logger: Logger,
): Promise<Array<{ entryId: string; status: DeliveryStatus }>> {
  const statuses = new Map<string, DeliveryStatus>();
  const valid: Array<{ entryId: string; event: EventEnvelope; cloudEvent: CloudEvent }> = [];
  for (const { entryId, event: cloudEvent = {} } of entries) {
    const read = readEnvelope(cloudEvent.data);
    if (read.ok) valid.push({ entryId, event: read.event, cloudEvent });
    else statuses.set(entryId, dropMalformed(sub, cloudEvent, read.reason, logger));
  }
  const handleMany =
    sub.handleMany?.bind(sub) ??
    ((events: Array<{ event: EventEnvelope; cloudEvent: CloudEventFields }>) =>
      Promise.all(
        events.map(({ event, cloudEvent }) =>
          sub.handle(event, cloudEvent).then(
            () => undefined,
            (err: Error) => err,
          ),
        ),
      ));
  let outcomes: Array<Error | undefined>;
  try {
    outcomes = valid.length > 0 ? await handleMany(valid) : [];
  } catch (err) {
    outcomes = valid.map(() => err as Error);
  }
  valid.forEach(({ entryId, event }, i) => {
    const err = outcomes[i];
    statuses.set(entryId, err === undefined ? 'SUCCESS' : statusOf(sub, event, err, logger));
  });
  return entries.map(({ entryId }) => ({ entryId, status: statuses.get(entryId) ?? 'RETRY' }));
}

function dropMalformed(sub: Subscription, cloudEvent: CloudEventFields, reason: string, logger: Logger): DeliveryStatus {
  logger.warn('dropping malformed event to the dead-letter topic', {
    topic: sub.topic,
    cloud_event_id: cloudEvent.id,
    reason,
  });
  return 'DROP';
}

/** What a handler's error means for its event: DropEvent drops it, anything else retries it. */
function statusOf(sub: Subscription, event: EventEnvelope, err: unknown, logger: Logger): DeliveryStatus {
  if (err instanceof DropEvent) {
    logger.warn('dropping event to the dead-letter topic', {
      topic: sub.topic,
      event_id: event.eventId,
      reason: err.message,
    });
    return 'DROP';
  }
  logger.warn('event handling failed; Dapr will redeliver', {
    topic: sub.topic,
    event_id: event.eventId,
    err: (err as Error).message,
  });
  return 'RETRY';
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
