/**
 * Domain events: one versioned schema per topic, checked when an event is published
 * and again when it is received. A consumer that gets a version it does not know drops
 * it loudly rather than guessing.
 */
import { z } from 'zod';
import type { Topic } from './topology.ts';

const id = z.string().min(1);
const timestamp = z.iso.datetime();

export const eventSchemas = {
  'user.registered': {
    version: 1,
    schema: z.strictObject({ userId: id, email: z.email(), displayName: z.string(), registeredAt: timestamp }),
  },
} as const satisfies Partial<Record<Topic, { version: number; schema: z.ZodType }>>;

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
