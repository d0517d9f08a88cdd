import assert from 'node:assert/strict';
import { searchQuery, suggestQuery } from '@meshmart/contracts/search';
import { service } from '@meshmart/kit/topology';
import type { IndexWriter } from '../src/index-writer.ts';
import { snippetHtml } from '../src/queries.ts';
import { searchSubscriptions } from '../src/subscriptions.ts';

describe('search input and output', () => {
  it('accepts operator characters as text and refuses what PostgreSQL or the limits cannot take', () => {
    for (const q of ['"a', 'a & b | !c', 'x:*', "'; drop", 'x'.repeat(200)]) {
      assert.equal(searchQuery.safeParse({ q }).success, true, q);
    }
    for (const q of ['x'.repeat(201), 'nul\u0000', 'tab\there', ['a', 'b']]) {
      assert.equal(searchQuery.safeParse({ q }).success, false, JSON.stringify(q));
    }
    assert.equal(searchQuery.safeParse({ page: '51' }).success, false);
    assert.equal(searchQuery.safeParse({ minPrice: '5', maxPrice: '4' }).success, false);
    assert.equal(searchQuery.safeParse({ other: '1' }).success, false);
    assert.equal(searchQuery.parse({ q: '  ' }).q, undefined, 'a blank query browses');
    assert.equal(suggestQuery.safeParse({ q: ' ' }).success, false);
  });

  it('turns only the headline markers into HTML and escapes the rest', () => {
    assert.equal(snippetHtml('\u0002tea\u0003 <script>&'), '<mark>tea</mark> &lt;script&gt;&amp;');
    assert.equal(snippetHtml('"quoted" \'single\''), '&quot;quoted&quot; &#39;single&#39;');
  });

  it('subscribes to exactly the topics the topology lists for search', () => {
    const topics = searchSubscriptions({} as IndexWriter).map((s) => s.topic);
    assert.deepEqual([...topics].sort(), [...service('search').subscribes].sort());
  });
});
