import assert from 'node:assert/strict';
import { percentile } from '../src/bench/load.ts';

describe('the bench’s percentiles (nearest rank)', () => {
  it('reads the rank the fraction points at, the last one at the top', () => {
    const sorted = [1, 2, 3, 4];
    assert.equal(percentile(sorted, 50), 3);
    assert.equal(percentile(sorted, 99), 4);
    assert.equal(percentile(sorted, 100), 4);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile([7], 99), 7);
  });

  it('has no figure for no samples', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});
