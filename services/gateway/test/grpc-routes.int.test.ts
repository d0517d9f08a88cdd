// The links and qr routes over real HTTP, against gRPC stand-ins listening where the
// gateway's sidecar would be: translation, status mapping and event streams.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { linksErrors } from '@meshmart/contracts/links';
import { createAccessTokenVerifier, type RunningServer } from '@meshmart/kit';
import type { Link } from '@meshmart/proto/links/v1/links';
import { type GenerateQRBatchRequest, ImageFormat, type QRCode } from '@meshmart/proto/qr/v1/qr';
import { FixedWindowLimiter } from '../src/rate-limit.ts';
import { service } from '../src/service.ts';
import { FakeBackends, grpcDeps, grpcError, PUBLIC_BASE_URL, waitFor } from './grpc-fakes.ts';
import { AUDIENCE, accessToken, FakeJwks, ISSUER, MemoryStateStore, signingKey } from './support.ts';

const OWNER = '7f1c8f8e-0c4e-4a8e-9a55-3a8f2f1d0b11';
const QR_ID = '0b6f4f3e-2a1d-4c5b-8e9f-1a2b3c4d5e6f';

const aLink: Link = {
  code: 'spring',
  targetUrl: 'https://shop.example/spring?utm=mail',
  ownerId: OWNER,
  createdAt: '2026-11-21T10:00:00.000Z',
  totalClicks: 3,
  customAlias: true,
};

const aCode: QRCode = {
  id: QR_ID,
  format: ImageFormat.IMAGE_FORMAT_SVG,
  contentType: 'image/svg+xml',
  size: 256,
  errorCorrection: 2,
  margin: 4,
  darkColor: '#000000',
  lightColor: '#ffffff',
  byteLength: 11,
  createdAt: '2026-11-21T10:00:00.000Z',
  content: 'hello',
};

interface SseResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Everything received so far. */
  text: () => string;
  close: () => void;
  ended: Promise<unknown>;
}

/** A raw HTTP request that exposes the body as it arrives, for event streams. */
function openStream(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<SseResponse>((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let received = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        received += chunk;
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => received,
        close: () => req.destroy(),
        ended: once(res, 'close'),
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A decoded message without the unset optional fields. */
function defined(message: unknown): unknown {
  return Object.fromEntries(Object.entries(message as object).filter(([, v]) => v !== undefined));
}

function events(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      return { event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) };
    });
}

describe('gateway links and qr routes over gRPC', () => {
  const backends = new FakeBackends();
  let server: RunningServer;
  let base: string;
  let auth: Record<string, string>;

  before(async () => {
    await backends.start();
    const key = await signingKey('key-1');
    const jwks = new FakeJwks();
    jwks.keys = [key.jwk];
    const config = service.loadConfig({
      PORT: '1',
      BIND_HOST: '127.0.0.1',
      DAPR_HTTP_PORT: '1',
      DAPR_GRPC_PORT: String(backends.port),
      BODY_LIMIT: '1kb',
      BATCH_BODY_LIMIT: '256kb',
      UPSTREAM_TIMEOUT_MS: '2000',
      SAGA_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'error',
    });
    const accessTokens = createAccessTokenVerifier({
      jwksUrl: new URL('http://127.0.0.1:1/.well-known/jwks.json'),
      issuer: ISSUER,
      audience: AUDIENCE,
      cacheMaxAgeMs: 600_000,
      cooldownMs: 0,
      timeoutMs: 1000,
      fetch: jwks.fetch,
    });
    server = await service.start(
      { ...config, PORT: 0 },
      {
        handleSignals: false,
        accessTokens,
        dependencies: {
          limiter: new FixedWindowLimiter({
            store: new MemoryStateStore(),
            storeName: 'statestore',
            policies: {
              auth: { max: 100, windowSeconds: 60 },
              api: { max: 1000, windowSeconds: 60 },
              redirect: { max: 1000, windowSeconds: 60, lease: 10 },
            },
          }),
          ...grpcDeps({ daprGrpcPort: backends.port }, 50),
        },
      },
    );
    base = `http://127.0.0.1:${server.port}`;
    auth = { authorization: `Bearer ${await accessToken(key, { sub: OWNER })}` };
  });
  afterEach(() => backends.reset());
  after(async () => {
    await server.close();
    await backends.stop();
  });

  const postJson = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(base + path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  async function problemOf(res: Response): Promise<{ status: number; detail: string; errors?: Array<{ field: string }> }> {
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    return (await res.json()) as { status: number; detail: string; errors?: Array<{ field: string }> };
  }

  describe('GET /s/:code', () => {
    it('redirects with 302, passing the referrer and user agent, and lets nothing cache it', async () => {
      let seen: unknown;
      backends.links.resolveUrl = (call, callback) => {
        seen = call.request;
        callback(null, { targetUrl: aLink.targetUrl });
      };
      const res = await fetch(`${base}/s/spring`, {
        redirect: 'manual',
        headers: { referer: 'https://news.example/', 'user-agent': 'test-agent/1' },
      });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), aLink.targetUrl);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(seen, { code: 'spring', referrer: 'https://news.example/', userAgent: 'test-agent/1' });
    });

    it('answers unknown codes 404, and expired or deleted ones 410, as problems', async () => {
      backends.links.resolveUrl = (call, callback) =>
        callback(
          call.request.code === 'old'
            ? grpcError(grpc.status.FAILED_PRECONDITION, 'expired', linksErrors.linkExpired)
            : call.request.code === 'removed'
              ? grpcError(grpc.status.FAILED_PRECONDITION, 'deleted', linksErrors.linkDeleted)
              : grpcError(grpc.status.NOT_FOUND, 'no such code'),
        );
      const follow = (code: string) => fetch(`${base}/s/${code}`, { redirect: 'manual' });
      const unknown = await follow('nope');
      assert.equal(unknown.status, 404);
      await problemOf(unknown);
      const expired = await follow('old');
      assert.equal(expired.status, 410);
      assert.match((await problemOf(expired)).detail, /expired/);
      const deleted = await follow('removed');
      assert.equal(deleted.status, 410);
      assert.match((await problemOf(deleted)).detail, /deleted/);
    });

    it('answers a code of impossible shape 404 without asking links', async () => {
      const res = await fetch(`${base}/s/${'x'.repeat(65)}`, { redirect: 'manual' });
      assert.equal(res.status, 404);
      await problemOf(res);
      assert.equal((await fetch(`${base}/s/a%2Fb`, { redirect: 'manual' })).status, 404);
      assert.deepEqual(backends.calls, []);
    });

    it('exports every redirect outcome and the open-streams gauge from the start', async () => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const outcome of ['redirected', 'not_found', 'gone', 'error']) {
        assert.match(metrics, new RegExp(`gateway_redirects_total\\{outcome="${outcome}"`));
      }
      assert.match(metrics, /gateway_sse_streams_open\{route="\/api\/qr\/batch"/);
    });

    it('answers 503 when links is unavailable', async () => {
      backends.links.resolveUrl = (_call, callback) => callback(grpcError(grpc.status.UNAVAILABLE, 'links is restarting'));
      const res = await fetch(`${base}/s/spring`, { redirect: 'manual' });
      assert.equal(res.status, 503);
      await problemOf(res);
    });
  });

  describe('links', () => {
    it('shortens for the signed-in owner and hands out a short URL under the public base URL', async () => {
      let seen: unknown;
      backends.links.shortenUrl = (call, callback) => {
        seen = call.request;
        callback(null, { link: aLink });
      };
      const res = await postJson('/api/links', { url: aLink.targetUrl, alias: 'spring' });
      assert.equal(res.status, 201);
      assert.deepEqual(await res.json(), {
        code: 'spring',
        url: aLink.targetUrl,
        shortUrl: `${PUBLIC_BASE_URL}/s/spring`,
        customAlias: true,
        createdAt: aLink.createdAt,
        expiresAt: null,
        totalClicks: 3,
      });
      assert.deepEqual(defined(seen), { targetUrl: aLink.targetUrl, alias: 'spring', ownerId: OWNER });
    });

    it('maps links refusals to 400 and 409, and refuses bad bodies itself', async () => {
      backends.links.shortenUrl = (call, callback) =>
        callback(
          call.request.alias
            ? grpcError(grpc.status.ALREADY_EXISTS, 'alias spring is taken')
            : grpcError(grpc.status.INVALID_ARGUMENT, 'target_url: not allowed'),
        );
      const taken = await postJson('/api/links', { url: aLink.targetUrl, alias: 'spring' });
      assert.equal(taken.status, 409);
      assert.match((await problemOf(taken)).detail, /taken/);
      assert.equal((await postJson('/api/links', { url: 'https://ok.example/' })).status, 400);

      backends.calls.length = 0;
      const bad = await postJson('/api/links', { url: 'javascript:alert(1)', alias: 'a b', owner: 'x' });
      assert.equal(bad.status, 400);
      assert.deepEqual((await problemOf(bad)).errors?.map((e) => e.field).sort(), ['alias', 'owner', 'url']);
      assert.equal((await postJson('/api/links', { url: aLink.targetUrl }, {})).status, 401);
      assert.deepEqual(backends.calls, [], 'refused at the edge');
    });

    it('lists, deletes and reports statistics of the owner’s links', async () => {
      backends.links.listLinks = (call, callback) => {
        assert.deepEqual(call.request, { ownerId: OWNER, pageSize: 5, pageToken: '' });
        callback(null, { links: [aLink], nextPageToken: '' });
      };
      const list = await fetch(`${base}/api/links?limit=5`, { headers: auth });
      assert.deepEqual(await list.json(), {
        items: [{ ...(await linkJson()), totalClicks: 3 }],
        nextPageToken: null,
      });

      backends.links.deleteLink = (call, callback) =>
        callback(call.request.code === 'spring' ? null : grpcError(grpc.status.NOT_FOUND, 'no such link'), {});
      assert.equal((await fetch(`${base}/api/links/spring`, { method: 'DELETE', headers: auth })).status, 204);
      assert.equal((await fetch(`${base}/api/links/other`, { method: 'DELETE', headers: auth })).status, 404);

      backends.links.getLinkStats = (call, callback) => {
        assert.equal(call.request.granularity, 'day');
        callback(null, {
          link: aLink,
          clicksInRange: 3,
          series: [{ start: '2026-11-21T00:00:00.000Z', clicks: 3 }],
          referrers: [{ value: '(direct)', clicks: 3 }],
          userAgents: [{ value: 'curl', clicks: 3 }],
        });
      };
      const stats = (await (await fetch(`${base}/api/links/spring/stats?granularity=day`, { headers: auth })).json()) as {
        clicksInRange: number;
        referrers: unknown;
      };
      assert.equal(stats.clicksInRange, 3);
      assert.deepEqual(stats.referrers, [{ value: '(direct)', clicks: 3 }]);
      assert.equal((await fetch(`${base}/api/links/spring/stats?granularity=week`, { headers: auth })).status, 400);
    });

    async function linkJson() {
      return {
        code: 'spring',
        url: aLink.targetUrl,
        shortUrl: `${PUBLIC_BASE_URL}/s/spring`,
        customAlias: true,
        createdAt: aLink.createdAt,
        expiresAt: null,
      };
    }
  });

  describe('GET /api/links/:code/stats/stream', () => {
    it('streams the counts at once and on change, pings while idle, and cancels the call when the client leaves', async () => {
      let cancelled = false;
      backends.links.streamClickStatistics = (call) => {
        call.on('cancelled', () => {
          cancelled = true;
        });
        const reading = (totalClicks: number) => ({ code: 'spring', totalClicks, clicksLastMinute: totalClicks, at: 'x' });
        call.write(reading(1));
        call.write(reading(1));
        setTimeout(() => call.write(reading(2)), 20);
      };
      const stream = await openStream(`${base}/api/links/spring/stats/stream`, {
        headers: { ...auth, accept: 'text/event-stream' },
      });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers['content-type'], 'text/event-stream');
      assert.equal(stream.headers['cache-control'], 'no-cache');
      assert.equal(stream.headers['x-accel-buffering'], 'no');
      await waitFor(() => assert.match(stream.text(), /: ping\n\n/));
      assert.deepEqual(
        events(stream.text()).map((e) => [e.event, (e.data as { totalClicks: number }).totalClicks]),
        [
          ['clicks', 1],
          ['clicks', 2],
        ],
        'a repeated reading is not sent again',
      );
      stream.close();
      await waitFor(() => assert.ok(cancelled, 'the gRPC call was cancelled'));
      await waitFor(async () =>
        assert.match(
          await (await fetch(`${base}/metrics`)).text(),
          /gateway_sse_streams_open\{route="\/api\/links\/:code\/stats\/stream",service="gateway"\} 0/,
        ),
      );
    });

    it('answers a refusal before the first message as a plain problem, not a stream', async () => {
      backends.links.streamClickStatistics = (call) =>
        call.emit('error', Object.assign(new Error('no such link'), grpcError(grpc.status.NOT_FOUND, 'no such link')));
      const res = await fetch(`${base}/api/links/spring/stats/stream`, { headers: auth });
      assert.equal(res.status, 404);
      await problemOf(res);
    });
  });

  describe('QR codes', () => {
    const svg = Buffer.from('<svg></svg>');

    it('answers a generated code with the image and where it stays', async () => {
      let seen: { options?: unknown } = {};
      backends.qr.generateQr = (call, callback) => {
        seen = call.request;
        callback(null, { qr: aCode, image: svg, cached: true });
      };
      const res = await postJson('/api/qr', { content: 'hello', format: 'svg', errorCorrection: 'H', size: 128 });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('content-type'), 'image/svg+xml');
      assert.equal(res.headers.get('location'), `/api/qr/${QR_ID}`);
      assert.equal(res.headers.get('x-qr-id'), QR_ID);
      assert.equal(res.headers.get('x-qr-cache'), 'hit');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), svg);
      assert.deepEqual(defined(seen.options), { format: ImageFormat.IMAGE_FORMAT_SVG, size: 128, errorCorrection: 4 });

      const bad = await postJson('/api/qr', { content: '', size: 10_000, darkColor: 'black', format: 'gif' });
      assert.deepEqual((await problemOf(bad)).errors?.map((e) => e.field).sort(), ['content', 'darkColor', 'format', 'size']);
    });

    it('serves a stored code to anyone, cacheable for good, and revalidates without asking qr', async () => {
      backends.qr.getQr = (call, callback) =>
        callback(call.request.id === QR_ID ? null : grpcError(grpc.status.NOT_FOUND, 'no such code'), {
          qr: aCode,
          image: svg,
        });
      const res = await fetch(`${base}/api/qr/${QR_ID}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const etag = res.headers.get('etag') ?? '';
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), svg);
      backends.calls.length = 0;
      assert.equal((await fetch(`${base}/api/qr/${QR_ID}`, { headers: { 'if-none-match': etag } })).status, 304);
      assert.deepEqual(backends.calls, []);

      const unknown = await fetch(`${base}/api/qr/9b6f4f3e-2a1d-4c5b-8e9f-1a2b3c4d5e6f`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers.get('cache-control'), null, 'a miss is not cached for a year');
      assert.equal((await fetch(`${base}/api/qr/not-a-uuid`)).status, 404);
    });

    it('streams a batch as progress events and a summary', async () => {
      backends.qr.generateQrBatch = (call) => {
        const { items } = call.request as GenerateQRBatchRequest;
        for (const [index, item] of items.entries()) {
          call.write({
            event: {
              $case: 'progress',
              value:
                item.content === 'bad'
                  ? { index, total: items.length, ok: false, qr: undefined, cached: false, error: 'too long' }
                  : { index, total: items.length, ok: true, qr: aCode, cached: index > 0, error: '' },
            },
          });
        }
        call.write({
          event: { $case: 'summary', value: { total: items.length, succeeded: 2, failed: 1, cached: 1, durationMs: 7 } },
        });
        call.end();
      };
      // Bigger than the default body limit: batches have their own.
      const items = [{ content: 'a'.repeat(1000) }, { content: 'bad' }, { content: 'c', format: 'svg' }];
      const stream = await openStream(`${base}/api/qr/batch`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ items, options: { size: 128 } }),
      });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers['content-type'], 'text/event-stream');
      await stream.ended;
      assert.deepEqual(events(stream.text()), [
        { event: 'progress', data: { index: 0, total: 3, ok: true, id: QR_ID, cached: false } },
        { event: 'progress', data: { index: 1, total: 3, ok: false, error: 'too long' } },
        { event: 'progress', data: { index: 2, total: 3, ok: true, id: QR_ID, cached: true } },
        { event: 'summary', data: { total: 3, succeeded: 2, failed: 1, cached: 1, durationMs: 7 } },
      ]);
    });

    it('answers a batch refused up front with a 400 problem, and one over 500 items without asking qr', async () => {
      backends.qr.generateQrBatch = (call) =>
        call.emit('error', Object.assign(new Error('x'), grpcError(grpc.status.INVALID_ARGUMENT, 'items: too many')));
      const refused = await postJson('/api/qr/batch', { items: [{ content: 'a' }] });
      assert.equal(refused.status, 400);
      assert.match((await problemOf(refused)).detail, /too many/);

      backends.calls.length = 0;
      const tooMany = await postJson('/api/qr/batch', { items: Array.from({ length: 501 }, () => ({ content: 'a' })) });
      assert.equal(tooMany.status, 400);
      assert.deepEqual(
        (await problemOf(tooMany)).errors?.map((e) => e.field),
        ['items'],
      );
      assert.deepEqual(backends.calls, []);
    });

    it('ends a stream that fails midway with an error event carrying the problem', async () => {
      backends.qr.generateQrBatch = (call) => {
        call.write({
          event: { $case: 'progress', value: { index: 0, total: 2, ok: true, qr: aCode, cached: false, error: '' } },
        });
        setTimeout(
          () => call.emit('error', Object.assign(new Error('x'), grpcError(grpc.status.UNAVAILABLE, 'blob store down'))),
          10,
        );
      };
      const stream = await openStream(`${base}/api/qr/batch`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ content: 'a' }, { content: 'b' }] }),
      });
      assert.equal(stream.status, 200);
      await stream.ended;
      const [first, last] = events(stream.text());
      assert.equal(first?.event, 'progress');
      assert.equal(last?.event, 'error');
      assert.equal((last?.data as { status?: number } | undefined)?.status, 503);
    });
  });
});
