/**
 * Events waiting in a document's outbox. Each carries the envelope subscribers receive
 * and the trace context of the change that caused it, so the relay can publish it later
 * as part of the same trace.
 */
import { randomUUID } from 'node:crypto';
import { checkEventData, type EventData, type EventEnvelope, type EventTopic, eventSchemas } from '@meshmart/kit';
import { currentTraceContext } from '@meshmart/kit/tracing';

export interface PendingEvent {
  envelope: EventEnvelope;
  traceparent?: string;
  tracestate?: string;
}

export function pendingEvent<T extends EventTopic>(topic: T, data: EventData<T>, at = new Date()): PendingEvent {
  const { traceparent, tracestate } = currentTraceContext();
  return {
    envelope: {
      eventId: randomUUID(),
      topic,
      version: eventSchemas[topic].version,
      occurredAt: at.toISOString(),
      data: checkEventData(topic, data),
    },
    ...(traceparent && { traceparent }),
    ...(tracestate && { tracestate }),
  };
}
