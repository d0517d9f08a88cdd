import assert from 'node:assert/strict';
import { budgetTable, meetsBudget } from '../src/bench/budgets.ts';

describe('bench budget table', () => {
  it('marks a figure within its budget ✓ and one over it ✗', () => {
    const table = budgetTable([
      { label: 'stack CPU per GET me', values: [2.1], limits: [2.5], kind: 'max', unit: 'ms' },
      { label: 'one-client p50 GET me / redirect', values: [3.9, 4.2], limits: [4, 4], kind: 'max', unit: 'ms' },
      { label: 'GET me at 8 concurrent', values: [640], limits: [600], kind: 'min', unit: 'req/s', digits: 0 },
      { label: 'QR SVG renders per core', values: [4000], limits: [5000], kind: 'min', unit: '/s', digits: 0 },
    ]);
    const verdicts = table
      .split('\n')
      .slice(1)
      .map((row) => row.at(-1));
    assert.deepEqual(verdicts, ['✓', '✗', '✓', '✗'], table);
    assert.match(table, /≤ 4 \/ 4 ms\s+3\.9 \/ 4\.2 ms/);
  });

  it('never passes a figure that was not measured', () => {
    assert.equal(meetsBudget({ label: 'x', values: [Number.NaN], limits: [1], kind: 'max', unit: 'ms' }), false);
  });
});
