/**
 * Domain events: one versioned schema per topic of the topology (the kit's topology.ts
 * says who publishes and who subscribes), checked when an event is published and again
 * when it is received. A consumer that gets a version it does not know drops it loudly
 * rather than guessing.
 */
import { z } from 'zod';

const id = z.string().min(1);
const timestamp = z.iso.datetime();

const minor = z.number().int().nonnegative();
const currency = z.string().regex(/^[A-Z]{3}$/);
const orderLine = z.strictObject({
  productId: id,
  name: z.string(),
  quantity: z.number().int().positive(),
  unitPriceMinor: minor,
});
/**
 * A product document's revision: +1 per write of that document, so a read model keeps
 * the state with the highest revision and drops older or repeated events.
 */
const revision = z.number().int().positive();
/** Stock is inventory's: product events carry what catalog owns and nothing else. */
const product = z.strictObject({
  productId: id,
  name: z.string(),
  category: z.string(),
  description: z.string(),
  priceMinor: minor,
  currency,
  revision,
  at: timestamp,
});
const count = z.number().int().nonnegative();
const orderRef = { orderId: id, userId: id, userEmail: z.email(), totalMinor: minor, currency, at: timestamp };

export const eventSchemas = {
  'user.registered': {
    version: 1,
    schema: z.strictObject({ userId: id, email: z.email(), displayName: z.string(), registeredAt: timestamp }),
  },
  'product.created': { version: 2, schema: product },
  'product.updated': { version: 2, schema: product },
  'product.deleted': { version: 2, schema: z.strictObject({ productId: id, revision, at: timestamp }) },
  'inventory.low_stock': {
    version: 1,
    schema: z.strictObject({
      productId: id,
      name: z.string(),
      available: z.number().int(),
      threshold: z.number().int(),
      at: timestamp,
    }),
  },
  /**
   * A product's stock after a change of its available stock (reserve, release, expiry,
   * return, admin adjustment, creation, seed), with `held` as of that change. A Commit,
   * which only turns held stock into sold, is not announced. `revision` grows with each
   * change of that product's stock, a Commit's too, so a read model keeps the highest,
   * ignores older or repeated events, and expects gaps.
   */
  'inventory.stock_changed': {
    version: 1,
    schema: z.strictObject({ productId: id, available: count, held: count, revision, at: timestamp }),
  },
  'order.created': { version: 1, schema: z.strictObject({ ...orderRef, lines: z.array(orderLine).min(1) }) },
  'order.paid': { version: 1, schema: z.strictObject({ ...orderRef, lines: z.array(orderLine).min(1), paymentId: id }) },
  'order.cancelled': {
    version: 1,
    schema: z.strictObject({ ...orderRef, lines: z.array(orderLine).min(1), reason: z.string(), refundedMinor: minor }),
  },
  'order.failed': { version: 1, schema: z.strictObject({ ...orderRef, reason: z.string() }) },
  'payment.succeeded': {
    version: 1,
    schema: z.strictObject({ paymentId: id, orderId: id, amountMinor: minor, currency, at: timestamp }),
  },
  'payment.failed': {
    version: 1,
    schema: z.strictObject({ paymentId: id, orderId: id, amountMinor: minor, currency, reason: z.string(), at: timestamp }),
  },
  'payment.refunded': {
    version: 1,
    schema: z.strictObject({ paymentId: id, refundId: id, orderId: id, amountMinor: minor, currency, at: timestamp }),
  },
  'link.created': {
    version: 1,
    schema: z.strictObject({
      code: id,
      ownerId: id,
      targetUrl: z.url({ protocol: /^https?$/ }),
      customAlias: z.boolean(),
      expiresAt: timestamp.nullable(),
      at: timestamp,
    }),
  },
  'link.clicked': {
    version: 1,
    schema: z.strictObject({
      /** Unique per click, so a consumer can tell a redelivery from a second click. */
      clickId: id,
      code: id,
      ownerId: id,
      /** Host of the Referer, or "(direct)". */
      referrer: z.string().max(255),
      /** Browser or client family derived from the User-Agent, or "(unknown)". */
      userAgent: z.string().max(255),
      at: timestamp,
    }),
  },
  'qr.generated': {
    version: 1,
    schema: z.strictObject({
      qrId: id,
      ownerId: id,
      format: z.enum(['png', 'svg']),
      size: z.number().int().positive(),
      /** Served from the cache without rendering. */
      cached: z.boolean(),
      /** Part of a batch request. */
      batch: z.boolean(),
      at: timestamp,
    }),
  },
} as const satisfies Record<string, { version: number; schema: z.ZodType }>;

export type EventTopic = keyof typeof eventSchemas;
export type EventData<T extends EventTopic> = z.infer<(typeof eventSchemas)[T]['schema']>;

/** What travels as the CloudEvent `data`. */
export interface EventEnvelope<T extends EventTopic = EventTopic> {
  /** Unique per event; consumers deduplicate redeliveries on it. */
  eventId: string;
  topic: T;
  version: number;
  occurredAt: string;
  data: EventData<T>;
}

export function cloudEventType(topic: EventTopic): string {
  return `meshmart.${topic}.v${eventSchemas[topic].version}`;
}

export function checkEventData<T extends EventTopic>(topic: T, data: unknown): EventData<T> {
  return eventSchemas[topic].schema.parse(data) as EventData<T>;
}

export const envelopeSchema = z.object({
  eventId: id,
  topic: z.string(),
  version: z.number().int().positive(),
  occurredAt: timestamp,
  data: z.unknown(),
});

/** Validates a received envelope against the schema of its topic and version. */
export function readEnvelope(raw: unknown): { ok: true; event: EventEnvelope } | { ok: false; reason: string } {
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `not an event envelope: ${parsed.error.message}` };
  const { topic, version } = parsed.data;
  const known = (eventSchemas as Record<string, { version: number; schema: z.ZodType }>)[topic];
  if (!known) return { ok: false, reason: `unknown topic ${topic}` };
  if (known.version !== version) return { ok: false, reason: `unsupported version ${version} of ${topic}` };
  const data = known.schema.safeParse(parsed.data.data);
  if (!data.success) return { ok: false, reason: `invalid ${topic} v${version}: ${data.error.message}` };
  return { ok: true, event: { ...parsed.data, topic: topic as EventTopic, data: data.data } as EventEnvelope };
}
