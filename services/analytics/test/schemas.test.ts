import assert from 'node:assert/strict';
import { dashboardQuery, rangeQuery, trackRequest, usageParams } from '@meshmart/contracts/analytics';
import { Problem, parse } from '@meshmart/kit';
import { resolveGranularity, resolveRange, trackedAt } from '../src/schemas.ts';

const now = new Date('2026-11-21T12:34:56Z');

function fieldsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof Problem, String(err));
    assert.equal(err.status, 400);
    return (err.errors ?? []).map((e) => e.field);
  }
  assert.fail('expected a 400');
}

const range = (query: Record<string, unknown>) => resolveRange(parse(rangeQuery, query), now);

describe('report query validation', () => {
  it('defaults to the last 24 hours', () => {
    const { from, to } = range({});
    assert.deepEqual([from.toISOString(), to.toISOString()], ['2026-11-20T12:34:56.000Z', '2026-11-21T12:34:56.000Z']);
    const onlyTo = range({ to: '2026-11-01T00:00:00Z' });
    assert.equal(onlyTo.from.toISOString(), '2026-10-31T00:00:00.000Z');
  });

  it('takes RFC 3339 times with a zone', () => {
    const { from, to } = range({ from: '2026-11-01T00:00:00+01:00', to: '2026-11-02T00:00:00.5Z' });
    assert.deepEqual([from.toISOString(), to.toISOString()], ['2026-10-31T23:00:00.000Z', '2026-11-02T00:00:00.500Z']);
  });

  it('refuses times that are not RFC 3339, unknown parameters and repeated ones', () => {
    assert.deepEqual(
      fieldsOf(() => range({ from: 'yesterday' })),
      ['from'],
    );
    assert.deepEqual(
      fieldsOf(() => range({ to: '2026-11-01T00:00:00' })),
      ['to'],
    );
    assert.deepEqual(
      fieldsOf(() => range({ from: '2026-11-01' })),
      ['from'],
    );
    assert.deepEqual(
      fieldsOf(() => range({ limit: '5' })),
      ['limit'],
    );
    assert.deepEqual(
      fieldsOf(() => range({ from: ['2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'] })),
      ['from'],
    );
  });

  it('wants from before to and at most 366 days between them', () => {
    assert.deepEqual(
      fieldsOf(() => range({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' })),
      ['to'],
    );
    assert.deepEqual(
      fieldsOf(() => range({ from: '2026-11-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })),
      ['to'],
    );
    assert.deepEqual(
      fieldsOf(() => range({ from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' })),
      ['from'],
    );
    assert.doesNotThrow(() => range({ from: '2025-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }));
  });

  it('accepts hour or day, picks one that fits, and caps the buckets of a series', () => {
    assert.deepEqual(
      fieldsOf(() => parse(dashboardQuery, { granularity: 'week' })),
      ['granularity'],
    );
    const day = range({});
    assert.equal(resolveGranularity(undefined, day), 'hour');
    assert.equal(resolveGranularity('day', day), 'day');
    const quarter = range({ from: '2026-08-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    assert.equal(resolveGranularity(undefined, quarter), 'day');
    assert.deepEqual(
      fieldsOf(() => resolveGranularity('hour', quarter)),
      ['granularity'],
    );
  });
});

describe('track body validation', () => {
  it('accepts the contract shape', () => {
    const body = parse(trackRequest, {
      name: 'page.view',
      properties: { path: '/links', ms: 12.5, first: true },
      occurredAt: '2026-11-21T12:00:00Z',
      eventId: 'c2a1-42',
    });
    assert.equal(body.name, 'page.view');
  });

  it('refuses bad names, properties, ids and unknown fields', () => {
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: 'Page View' })),
      ['name'],
    );
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: `a${'b'.repeat(64)}` })),
      ['name'],
    );
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: 'x', properties: { nested: { $gt: '' } } })),
      ['properties.nested'],
    );
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: 'x', properties: { long: 'y'.repeat(257) } })),
      ['properties.long'],
    );
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]));
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: 'x', properties: many })),
      ['properties'],
    );
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: 'x', eventId: 'has space' })),
      ['eventId'],
    );
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, { name: 'x', userId: 'someone-else' })),
      ['userId'],
    );
    assert.deepEqual(
      fieldsOf(() => parse(trackRequest, undefined)),
      ['(body)'],
    );
  });

  it('takes occurredAt from the last 24 hours, with 5 minutes of clock skew', () => {
    assert.equal(trackedAt(undefined, now), now);
    assert.equal(trackedAt('2026-11-21T12:38:00Z', now).toISOString(), '2026-11-21T12:38:00.000Z');
    assert.deepEqual(
      fieldsOf(() => trackedAt('2026-11-21T12:45:00Z', now)),
      ['occurredAt'],
    );
    assert.deepEqual(
      fieldsOf(() => trackedAt('2026-11-20T12:00:00Z', now)),
      ['occurredAt'],
    );
  });

  it('takes user ids that look like ids', () => {
    const userId = '0b7c6f0e-5d8c-4b8f-9f57-5c4f0c1d2e3f';
    assert.deepEqual(parse(usageParams, { userId }), { userId });
    assert.deepEqual(
      fieldsOf(() => parse(usageParams, { userId: '../admin' })),
      ['userId'],
    );
  });
});
