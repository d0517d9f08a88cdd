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
    body: JSON.stringify(cloudEvent(topic, data)),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { status: string }).status;
}

/**
 * Delivers many events in one POST the way daprd does for a bulk subscription: each a
 * CloudEvent under `entries[].event` with an entry id. Resolves with the app's status for
 * each, in order; any HTTP status but 200, or an answer that leaves an entry out, fails the test.
 */
export async function deliverEvents(base: string, topic: string, data: unknown[], appToken: string): Promise<string[]> {
  const entries = data.map((d) => ({
    entryId: randomUUID(),
    event: cloudEvent(topic, d),
    contentType: 'application/cloudevents+json',
  }));
  const res = await fetch(base + routeFor(topic), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'dapr-api-token': appToken },
    body: JSON.stringify({ id: randomUUID(), topic, pubsubname: 'pubsub', type: 'com.dapr.event.sent.bulk', entries }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { statuses } = (await res.json()) as { statuses: Array<{ entryId: string; status: string }> };
  const byEntry = new Map(statuses.map((s) => [s.entryId, s.status]));
  return entries.map((e) => {
    const status = byEntry.get(e.entryId);
    assert.ok(status, `no status for entry ${e.entryId}`);
    return status;
  });
}

function cloudEvent(topic: string, data: unknown) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'test',
    type: Object.hasOwn(eventSchemas, topic) ? cloudEventType(topic as EventTopic) : `meshmart.${topic}.v1`,
    datacontenttype: 'application/json',
    data,
  };
}
