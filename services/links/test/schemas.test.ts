import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import { DIRECT, referrerHost, UNKNOWN, userAgentFamily } from '../src/click-source.ts';
import {
  checkAlias,
  checkExpiry,
  checkOwner,
  checkPageSize,
  checkStatsRange,
  checkTargetUrl,
  decodePageToken,
  encodePageToken,
  GENERATED_CODE_LENGTH,
  generateCode,
} from '../src/schemas.ts';

function refused(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GrpcError, String(err));
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.message, new RegExp(`^${field}\\b`));
    return true;
  });
}

describe('links inputs', () => {
  describe('target_url', () => {
    it('accepts http and https URLs and stores them serialised', () => {
      assert.equal(checkTargetUrl('https://example.com'), 'https://example.com/');
      assert.equal(checkTargetUrl('http://example.com/a b?q=1#x'), 'http://example.com/a%20b?q=1#x');
      assert.equal(checkTargetUrl('HTTPS://Example.COM:443/path'), 'https://example.com/path');
    });

    for (const [why, url] of [
      ['javascript:', 'javascript:alert(1)'],
      ['javascript: in upper case', 'JavaScript:alert(document.cookie)'],
      ['data:', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
      ['ftp', 'ftp://example.com/file'],
      ['file', 'file:///etc/passwd'],
      ['a relative path', '/just/a/path'],
      ['malformed', 'http://'],
      ['a bare word', 'example'],
      ['spaces in the host', 'https://exa mple.com/'],
      ['embedded credentials', 'https://user:pass@example.com/'],
      ['a user name alone', 'https://admin@example.com/'],
      ['a newline hidden in the scheme', 'java\nscript:alert(1)'],
      ['a tab', 'https://exam\tple.com/'],
      ['an empty string', ''],
      ['more than 2048 characters', `https://example.com/${'a'.repeat(2048)}`],
    ] as const) {
      it(`refuses ${why}`, () => refused(() => checkTargetUrl(url), 'target_url'));
    }
  });

  describe('alias', () => {
    it('accepts 3 to 64 characters of letters, digits, _ and -', () => {
      for (const alias of ['abc', 'Summer_Sale-2026', 'x'.repeat(64)]) assert.equal(checkAlias(alias), alias);
    });

    for (const alias of ['ab', 'x'.repeat(65), 'has space', 'dot.ted', 'ümlaut', 'semi;colon', '../etc', '']) {
      it(`refuses ${JSON.stringify(alias)}`, () => refused(() => checkAlias(alias), 'alias'));
    }

    for (const alias of ['api', 'API', 'admin', 'healthz', 'readyz', 'metrics', 'static']) {
      it(`refuses the reserved word ${alias}`, () => refused(() => checkAlias(alias), 'alias'));
    }
  });

  describe('expires_at', () => {
    const now = new Date('2026-11-21T12:00:00Z');

    it('accepts future RFC 3339 timestamps, offsets included', () => {
      assert.equal(checkExpiry('2026-12-31T23:59:00Z', now).toISOString(), '2026-12-31T23:59:00.000Z');
      assert.equal(checkExpiry('2027-01-01T01:00:00.5+02:00', now).toISOString(), '2026-12-31T23:00:00.500Z');
    });

    for (const [why, value] of [
      ['the past', '2026-11-21T11:59:59Z'],
      ['now', '2026-11-21T12:00:00Z'],
      ['more than 10 years ahead', '2037-01-01T00:00:00Z'],
      ['a date without a time', '2026-12-31'],
      ['no offset', '2026-12-31T10:00:00'],
      ['a day that does not exist', '2027-02-30T10:00:00Z'],
      ['an hour that does not exist', '2026-12-31T25:00:00Z'],
      ['free text', 'next tuesday'],
    ] as const) {
      it(`refuses ${why}`, () => refused(() => checkExpiry(value, now), 'expires_at'));
    }
  });

  it('requires owner_id', () => {
    refused(() => checkOwner(''), 'owner_id');
    refused(() => checkOwner('x'.repeat(129)), 'owner_id');
    assert.equal(checkOwner('3f6c0a5e-user'), '3f6c0a5e-user');
  });

  it('generates 7 base62 characters, different each time', () => {
    const codes = new Set(Array.from({ length: 1000 }, generateCode));
    assert.equal(codes.size, 1000);
    for (const code of codes) assert.match(code, new RegExp(`^[0-9A-Za-z]{${GENERATED_CODE_LENGTH}}$`));
  });

  it('pages: size 0 means 20, tokens round-trip and forged ones are refused', () => {
    assert.equal(checkPageSize(0), 20);
    refused(() => checkPageSize(101), 'page_size');
    refused(() => checkPageSize(-1), 'page_size');
    assert.equal(decodePageToken(encodePageToken('abc_123')), 'abc_123');
    assert.equal(decodePageToken(''), undefined);
    refused(() => decodePageToken('bm90IGEgdG9rZW4'), 'page_token');
  });

  describe('stats range', () => {
    const now = new Date('2026-11-21T12:34:56Z');

    it('defaults to the last 7 days in hourly UTC buckets', () => {
      const range = checkStatsRange({ granularity: '' }, 1000, now);
      assert.equal(range.granularity, 'hour');
      assert.equal(range.from.toISOString(), '2026-11-14T12:34:56.000Z');
      assert.equal(range.buckets[0]?.toISOString(), '2026-11-14T12:00:00.000Z');
      assert.equal(range.buckets.at(-1)?.toISOString(), '2026-11-21T12:00:00.000Z');
      assert.equal(range.buckets.length, 169);
    });

    it('buckets by UTC day', () => {
      const range = checkStatsRange({ from: '2026-11-01T01:00:00+02:00', to: '2026-11-03T00:00:00Z', granularity: 'day' }, 1000);
      assert.deepEqual(
        range.buckets.map((b) => b.toISOString()),
        ['2026-10-31T00:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z'],
      );
    });

    it('refuses bad granularities, inverted ranges and too many buckets', () => {
      refused(() => checkStatsRange({ granularity: 'minute' }, 1000, now), 'granularity');
      refused(
        () => checkStatsRange({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z', granularity: 'day' }, 1000),
        'from',
      );
      refused(() => checkStatsRange({ from: '2026-01-01T00:00:00Z', granularity: 'hour' }, 1000, now), 'from');
      refused(() => checkStatsRange({ to: 'yesterday', granularity: 'hour' }, 1000, now), 'to');
    });
  });
});

describe('click sources', () => {
  it('keeps only the referring host', () => {
    assert.equal(referrerHost('https://news.example.com/item?id=1&utm_source=x'), 'news.example.com');
    assert.equal(referrerHost('HTTP://WWW.Example.ORG./'), 'www.example.org');
    assert.equal(referrerHost('android-app://com.google.android.gm/'), 'com.google.android.gm');
    assert.equal(referrerHost(''), DIRECT);
    assert.equal(referrerHost('not a url'), DIRECT);
    assert.equal(referrerHost('about:blank'), DIRECT);
  });

  it('names the client family', () => {
    const families: Array<[string, string]> = [
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        'Chrome',
      ],
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
        'Edge',
      ],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox'],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
        'Safari',
      ],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
        'Chrome',
      ],
      [
        'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
        'Samsung Internet',
      ],
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
        'Opera',
      ],
      ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Googlebot'],
      ['Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', 'Other bot'],
      ['curl/8.5.0', 'curl'],
      ['python-requests/2.32.3', 'Python'],
      ['something-new/1.0', 'Other'],
      ['', UNKNOWN],
      ['   ', UNKNOWN],
    ];
    for (const [ua, family] of families) assert.equal(userAgentFamily(ua), family, ua);
  });
});
