import assert from 'node:assert/strict';
import { escapeRegex, productFilter, productSort } from '../src/product-query.ts';

describe('product list queries', () => {
  it('escapes the search text so it only ever matches itself', () => {
    for (const text of ['a.b', '(100)', '.*', '^x$', 'a|b', '[z]', 'back\\slash', '{2}', 'what?+']) {
      const pattern = new RegExp(escapeRegex(text), 'i');
      assert.ok(pattern.test(`before ${text} after`), text);
      assert.equal(pattern.test('something else entirely'), false, text);
    }
    assert.equal(new RegExp(escapeRegex('a.c')).test('abc'), false);
  });

  it('searches name and description case-insensitively and always leaves deleted products out', () => {
    assert.deepEqual(productFilter({ q: 'Mug (large)' }), {
      deletedAt: null,
      $or: [
        { name: { $regex: 'Mug \\(large\\)', $options: 'i' } },
        { description: { $regex: 'Mug \\(large\\)', $options: 'i' } },
      ],
    });
  });

  it('combines category, price range and availability', () => {
    assert.deepEqual(productFilter({ category: 'tea', minPrice: 100, maxPrice: 900, inStock: 'true' }), {
      deletedAt: null,
      category: 'tea',
      priceMinor: { $gte: 100, $lte: 900 },
      available: { $gt: 0 },
    });
    assert.deepEqual(productFilter({ maxPrice: 0, inStock: 'false' }), {
      deletedAt: null,
      priceMinor: { $lte: 0 },
      available: 0,
    });
  });

  it('sorts with the id as tie-breaker', () => {
    assert.deepEqual(productSort('name'), { sortName: 1, _id: 1 });
    assert.deepEqual(productSort('-price'), { priceMinor: -1, _id: -1 });
    assert.deepEqual(productSort('created'), { createdAt: 1, _id: 1 });
  });
});
