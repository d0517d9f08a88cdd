import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cloudEventType, type EventTopic, eventSchemas, routeFor } from '@meshmart/kit';

/**
 * Delivers `data` (an event envelope, or a malformed one on purpose) to the app at `base`
 * the way daprd does: a CloudEvent POSTed to the topic's subscription route with the app
 * token. Resolves with the app's answer to Dapr (SUCCESS, RETRY or DROP); any HTTP status
 * but 200 fails the test.
 */
export async function deliverEvent(base: string, topic: string, data: unknown, appToken: string): Promise<string> {
  const res = await fetch(base + routeFor(topic), {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', 'dapr-api-token': appToken },
    body: JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: 'test',
      type: Object.hasOwn(eventSchemas, topic) ? cloudEventType(topic as EventTopic) : `meshmart.${topic}.v1`,
      datacontenttype: 'application/json',
      data,
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { status: string }).status;
}
