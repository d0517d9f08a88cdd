import assert from 'node:assert/strict';
import { z } from 'zod';
import { rangeQuery as analyticsRangeQuery, dashboardQuery, trackRequest } from '../src/analytics.ts';
import { linkCode, linkStatsQuery, listLinksQuery, shortenRequest } from '../src/links.ts';
import { qrBatchRequest, qrIdParam, qrRequest } from '../src/qr.ts';
import { fieldsOf as fields } from './fields.ts';

const linkCodeParams = z.strictObject({ code: linkCode });
const qrIdParams = z.strictObject({ id: qrIdParam });

const tomorrow = new Date(Date.now() + 86_400_000).toISOString();

describe('links request validation', () => {
  it('accepts a URL alone, or with an alias and a future expiry', () => {
    shortenRequest.parse({ url: 'https://shop.example/a?b=c#d' });
    shortenRequest.parse({ url: 'http://127.0.0.1:3000/x', alias: 'Spring_sale-2026', expiresAt: tomorrow });
    shortenRequest.parse({ url: 'https://shop.example/', expiresAt: '2099-01-01T00:00:00+02:00' });
  });

  it('refuses targets that are not absolute http(s) URLs', () => {
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'ftp://files.example/x',
      '/relative/path',
      'https://',
      'not a url',
      `https://long.example/${'x'.repeat(2048)}`,
      42,
      { $gt: '' },
    ]) {
      assert.deepEqual(fields(shortenRequest, { url }), ['url'], JSON.stringify(url).slice(0, 40));
    }
    assert.deepEqual(fields(shortenRequest, {}), ['url']);
  });

  it('refuses malformed aliases, past or malformed expiries and unknown fields', () => {
    for (const alias of ['ab', 'a'.repeat(65), 'has space', 'slash/y', 'dot.ted', '']) {
      assert.deepEqual(fields(shortenRequest, { url: 'https://a.example', alias }), ['alias'], alias);
    }
    for (const expiresAt of ['2020-01-01T00:00:00Z', 'tomorrow', '2099-01-01', 1_900_000_000]) {
      assert.deepEqual(fields(shortenRequest, { url: 'https://a.example', expiresAt }), ['expiresAt'], String(expiresAt));
    }
    assert.deepEqual(fields(shortenRequest, { url: 'https://a.example', ownerId: 'someone-else', $where: '1' }), [
      '$where',
      'ownerId',
    ]);
  });

  it('validates codes, paging and statistics ranges', () => {
    linkCodeParams.parse({ code: 'aZ0_-' });
    assert.deepEqual(fields(linkCodeParams, { code: 'a'.repeat(65) }), ['code']);
    assert.deepEqual(fields(linkCodeParams, { code: 'a.b' }), ['code']);
    assert.deepEqual(listLinksQuery.parse({ limit: '20', pageToken: 'eyJhIjoxfQ==' }), {
      limit: 20,
      pageToken: 'eyJhIjoxfQ==',
    });
    assert.deepEqual(fields(listLinksQuery, { limit: '0', pageToken: 'a b', offset: '1' }), ['limit', 'offset', 'pageToken']);
    linkStatsQuery.parse({ from: '2026-11-01T00:00:00Z', to: '2026-11-21T00:00:00Z', granularity: 'day' });
    assert.deepEqual(fields(linkStatsQuery, { from: 'yesterday', granularity: 'week' }), ['from', 'granularity']);
    assert.deepEqual(fields(linkStatsQuery, { granularity: ['hour', 'day'] }), ['granularity']);
  });
});

describe('QR request validation', () => {
  it('accepts content alone or with every option', () => {
    qrRequest.parse({ content: 'https://mesh.example/s/spring' });
    qrRequest.parse({
      content: 'x'.repeat(2048),
      format: 'svg',
      size: 2048,
      errorCorrection: 'H',
      margin: 0,
      darkColor: '#112233',
      lightColor: '#ffffff00',
    });
  });

  it('names each option out of bounds, and unknown fields', () => {
    assert.deepEqual(
      fields(qrRequest, {
        content: 'x'.repeat(2049),
        format: 'gif',
        size: 63,
        errorCorrection: 'X',
        margin: 17,
        darkColor: 'black',
        lightColor: '#fff',
        owner: 'me',
      }),
      ['content', 'darkColor', 'errorCorrection', 'format', 'lightColor', 'margin', 'owner', 'size'],
    );
    assert.deepEqual(fields(qrRequest, { content: '', size: 256.5 }), ['content', 'size']);
    qrRequest.parse({ content: '😀'.repeat(2048) });
    assert.deepEqual(fields(qrRequest, { content: '😀'.repeat(2049) }), ['content']);
  });

  it('takes batches of 1 to 500 items, with per-item and batch options', () => {
    const item = { content: 'a' };
    qrBatchRequest.parse({ items: Array.from({ length: 500 }, () => item), options: { format: 'svg' } });
    assert.deepEqual(fields(qrBatchRequest, { items: Array.from({ length: 501 }, () => item) }), ['items']);
    assert.deepEqual(fields(qrBatchRequest, { items: [] }), ['items']);
    assert.deepEqual(
      fields(qrBatchRequest, { items: [item, { content: 'b', size: 1 }], options: { size: 9999, content: 'c' } }),
      ['items.1.size', 'options.content', 'options.size'],
    );
  });

  it('takes only UUIDs as ids', () => {
    qrIdParams.parse({ id: '0b6f4f3e-2a1d-4c5b-8e9f-1a2b3c4d5e6f' });
    assert.deepEqual(fields(qrIdParams, { id: '../../etc/passwd' }), ['id']);
  });
});

describe('analytics request validation', () => {
  it('accepts well-formed events and refuses the rest by field', () => {
    trackRequest.parse({ name: 'page.view', properties: { path: '/', n: 1, ok: true }, eventId: 'evt-1' });
    assert.deepEqual(
      fields(trackRequest, {
        name: 'Page View',
        properties: { nested: { a: 1 } },
        occurredAt: 'now',
        userId: 'someone',
      }),
      ['name', 'occurredAt', 'properties.nested', 'userId'],
    );
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, i]));
    assert.deepEqual(fields(trackRequest, { name: 'a', properties: many }), ['properties']);
    assert.deepEqual(fields(trackRequest, { name: 'a', properties: { s: 'x'.repeat(257) } }), ['properties.s']);
  });

  it('keeps report queries strict', () => {
    analyticsRangeQuery.parse({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' });
    assert.deepEqual(fields(analyticsRangeQuery, { from: '2026-11-20', granularity: 'day' }), ['from', 'granularity']);
    dashboardQuery.parse({ granularity: 'hour' });
    assert.deepEqual(fields(dashboardQuery, { granularity: 'minute', 'to[$gt]': '' }), ['granularity', 'to[$gt]']);
  });
});
