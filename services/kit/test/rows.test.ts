import assert from 'node:assert/strict';
import { camelCaseRow } from '../src/db.ts';

describe('camelCaseRow', () => {
  it('names each column in camelCase and keeps its value and place', () => {
    const createdAt = new Date('2026-12-06T18:00:00Z');
    const row = camelCaseRow({ id: 'a1', owner_id: 'u1', error_correction: 'M', created_at: createdAt, total_2_clicks: '7' });
    assert.deepEqual(Object.entries(row), [
      ['id', 'a1'],
      ['ownerId', 'u1'],
      ['errorCorrection', 'M'],
      ['createdAt', createdAt],
      ['total2Clicks', '7'],
    ]);
  });

  it('leaves names without underscores and values that are null alone', () => {
    assert.deepEqual(camelCaseRow({ code: 'x', expires_at: null }), { code: 'x', expiresAt: null });
  });
});
