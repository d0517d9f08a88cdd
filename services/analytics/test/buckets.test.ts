import assert from 'node:assert/strict';
import { bucketCount, bucketStarts, ceilTo, coveredHours, floorTo, readPlan } from '../src/buckets.ts';

const t = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('time buckets', () => {
  it('truncates to the hour and the day in UTC, whatever offset the time was written with', () => {
    assert.equal(iso(floorTo('hour', t('2026-11-21T13:59:59.999Z'))), '2026-11-21T13:00:00.000Z');
    assert.equal(iso(floorTo('hour', t('2026-11-21T13:00:00Z'))), '2026-11-21T13:00:00.000Z');
    assert.equal(iso(floorTo('day', t('2026-11-21T23:59:59Z'))), '2026-11-21T00:00:00.000Z');
    // 01:30 at +02:00 is 23:30 UTC the day before.
    assert.equal(iso(floorTo('day', t('2026-11-22T01:30:00+02:00'))), '2026-11-21T00:00:00.000Z');
    assert.equal(iso(floorTo('hour', t('2026-11-21T10:45:00+05:30'))), '2026-11-21T05:00:00.000Z');
    assert.equal(iso(floorTo('day', t('1969-12-31T12:00:00Z'))), '1969-12-31T00:00:00.000Z');
  });

  it('rounds up to the next bucket unless already on a boundary', () => {
    assert.equal(iso(ceilTo('hour', t('2026-11-21T13:00:00.001Z'))), '2026-11-21T14:00:00.000Z');
    assert.equal(iso(ceilTo('hour', t('2026-11-21T13:00:00Z'))), '2026-11-21T13:00:00.000Z');
    assert.equal(iso(ceilTo('day', t('2026-12-31T00:00:01Z'))), '2027-01-01T00:00:00.000Z');
  });

  it('covers every hour that overlaps a range', () => {
    const { start, end } = coveredHours(t('2026-11-21T10:30:00Z'), t('2026-11-21T12:15:00Z'));
    assert.deepEqual([iso(start), iso(end)], ['2026-11-21T10:00:00.000Z', '2026-11-21T13:00:00.000Z']);
  });

  it('reads whole days from day buckets and only the ragged ends from hours', () => {
    const plan = readPlan(t('2026-11-19T22:10:00Z'), t('2026-11-22T01:05:00Z'));
    assert.deepEqual(
      plan.map((s) => [s.granularity, iso(s.start), iso(s.end)]),
      [
        ['hour', '2026-11-19T22:00:00.000Z', '2026-11-20T00:00:00.000Z'],
        ['day', '2026-11-20T00:00:00.000Z', '2026-11-22T00:00:00.000Z'],
        ['hour', '2026-11-22T00:00:00.000Z', '2026-11-22T02:00:00.000Z'],
      ],
    );
  });

  it('plans hours only when no whole day fits, and days only for whole-day ranges', () => {
    const within = readPlan(t('2026-11-21T10:30:00Z'), t('2026-11-22T09:00:00Z'));
    assert.deepEqual(
      within.map((s) => [s.granularity, iso(s.start), iso(s.end)]),
      [['hour', '2026-11-21T10:00:00.000Z', '2026-11-22T09:00:00.000Z']],
    );
    const days = readPlan(t('2026-11-01T00:00:00Z'), t('2026-11-08T00:00:00Z'));
    assert.deepEqual(
      days.map((s) => [s.granularity, iso(s.start), iso(s.end)]),
      [['day', '2026-11-01T00:00:00.000Z', '2026-11-08T00:00:00.000Z']],
    );
  });

  it('lists and counts the buckets overlapping a range', () => {
    const from = t('2026-11-21T10:30:00Z');
    const to = t('2026-11-21T13:00:00Z');
    assert.deepEqual(bucketStarts('hour', from, to).map(iso), [
      '2026-11-21T10:00:00.000Z',
      '2026-11-21T11:00:00.000Z',
      '2026-11-21T12:00:00.000Z',
    ]);
    assert.equal(bucketCount('hour', from, to), 3);
    assert.equal(bucketCount('day', from, to), 1);
    const year = [t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z')] as const;
    assert.equal(bucketCount('day', ...year), 365);
    assert.equal(bucketCount('hour', ...year), 8760);
    assert.equal(bucketStarts('day', ...year).length, 365);
  });
});
