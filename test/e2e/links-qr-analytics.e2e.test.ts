/**
 * Short links, QR codes and analytics through the local stack, as a client sees them:
 * every call goes to the gateway, which reaches links and qr over gRPC through its own
 * sidecar and analytics over HTTP; clicks travel links → outbox → RabbitMQ → analytics.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { linksErrors } from '@meshmart/contracts/links';
import { SERVER_SPAN_SCOPE, SIDECAR_CALL_SCOPE } from '@meshmart/kit/call-graph';
import { localCredentials, type StackHandle, startStack } from '@meshmart/stack';
import { eventually, GatewayClient, type ServerSentEvent, serverSentEvents } from '@meshmart/test-support';
import { decodePng, decodeSvg } from '@meshmart/test-support/qr';

interface Link {
  code: string;
  url: string;
  shortUrl: string;
  customAlias: boolean;
  createdAt: string;
  expiresAt: string | null;
  totalClicks: number;
}

interface Stats {
  link: Link;
  clicksInRange: number;
  series: Array<{ start: string; clicks: number }>;
  referrers: Array<{ value: string; clicks: number }>;
  userAgents: Array<{ value: string; clicks: number }>;
}

describe('links, QR codes and analytics through the local stack', function () {
  this.timeout(120_000);
  let stack: StackHandle;
  let client: GatewayClient;
  let token: string;
  let userId: string;
  let adminToken: string;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      services: ['gateway', 'users', 'links', 'qr', 'analytics'],
      env: { gateway: { TRUSTED_PROXY_HOPS: '1' } },
    });
    client = new GatewayClient(stack.urls.gateway);
    const email = client.newEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const registered = await client.call('POST', '/api/auth/register', { body: { email, password, displayName: 'Marketer' } });
    assert.equal(registered.status, 201, registered.text);
    const login = await client.call('POST', '/api/auth/login', { body: { email, password } });
    ({ accessToken: token } = login.json<{ accessToken: string }>());
    userId = login.json<{ user: { id: string } }>().user.id;
    const admin = await client.call('POST', '/api/auth/login', {
      body: { email: localCredentials.admin.email, password: localCredentials.admin.password },
    });
    assert.equal(admin.status, 200, admin.text);
    adminToken = admin.json<{ accessToken: string }>().accessToken;
  });

  after(async () => {
    await stack?.stop();
  });

  const shorten = (body: Record<string, unknown>) => client.call('POST', '/api/links', { token, body });
  const follow = (code: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.urls.gateway}/s/${code}`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': client.forwardedFor, ...headers },
    });
  const stream = (path: string, init: RequestInit = {}) =>
    fetch(stack.urls.gateway + path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client.forwardedFor, ...init.headers },
    });

  describe('short links', () => {
    it('redirects 100 follows, counts 100 clicks in link stats and analytics, and streams the counts live', async () => {
      const target = `https://example.com/spring-sale?ref=${randomBytes(4).toString('hex')}`;
      const created = await shorten({ url: target });
      assert.equal(created.status, 201, created.text);
      const link = created.json<Link>();
      assert.equal(link.url, target);
      assert.ok(link.shortUrl.endsWith(`/s/${link.code}`), link.shortUrl);
      assert.equal(link.totalClicks, 0);

      // The stream is open before the clicks, so it must see them arrive.
      const live = new AbortController();
      const opened = await stream(`/api/links/${link.code}/stats/stream`, { signal: live.signal });
      assert.equal(opened.status, 200);
      assert.match(opened.headers.get('content-type') ?? '', /^text\/event-stream/);
      const readings: number[] = [];
      const reading = (async () => {
        for await (const e of serverSentEvents(opened)) {
          if (e.event !== 'clicks') continue;
          const count = (JSON.parse(e.data) as { totalClicks: number }).totalClicks;
          readings.push(count);
          if (count >= 100) return;
        }
      })().catch((err: Error) => {
        if (err.name !== 'AbortError') throw err;
      });

      const browsers = [
        'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
      ];
      for (let round = 0; round < 10; round++) {
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            follow(link.code, {
              referer: i % 2 === 0 ? 'https://news.example.org/article/1' : '',
              'user-agent': browsers[i % 2] as string,
            }),
          ),
        );
        for (const answer of answers) {
          assert.equal(answer.status, 302);
          assert.equal(answer.headers.get('location'), target);
        }
      }

      await Promise.race([
        reading,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`stream readings so far: ${readings}`)), 15_000)),
      ]);
      live.abort();
      assert.equal(readings[0], 0, 'the first reading comes at once, before any click');
      assert.equal(readings.at(-1), 100);

      const stats = await client.call('GET', `/api/links/${link.code}/stats`, { token });
      assert.equal(stats.status, 200, stats.text);
      const body = stats.json<Stats>();
      assert.equal(body.link.totalClicks, 100);
      assert.equal(body.clicksInRange, 100);
      assert.equal(
        body.series.reduce((sum, b) => sum + b.clicks, 0),
        100,
      );
      assert.deepEqual(
        body.referrers.find((r) => r.value === 'news.example.org'),
        { value: 'news.example.org', clicks: 50 },
      );
      assert.equal(body.userAgents.length, 2, JSON.stringify(body.userAgents));

      await eventually('analytics to count the 100 clicks', async () => {
        const usage = await client.call('GET', '/api/analytics/usage', { token });
        assert.equal(usage.status, 200, usage.text);
        return usage.json<{ clicksOnLinks: number }>().clicksOnLinks === 100 ? true : undefined;
      });
      const dashboard = await client.call('GET', '/api/analytics/dashboard?granularity=hour', { token: adminToken });
      assert.equal(dashboard.status, 200, dashboard.text);
      // Other runs' links share the analytics database, so ours is in the top list unless
      // every entry there has at least as many clicks.
      const top = dashboard.json<{ topLinks: Array<{ code: string; clicks: number }> }>().topLinks;
      const ours = top.find((t) => t.code === link.code);
      if (ours) assert.deepEqual(ours, { code: link.code, clicks: 100 });
      else assert.ok(top.length === 10 && top.every((t) => t.clicks >= 100), JSON.stringify(top));
      const summary = await client.call('GET', '/api/analytics/summary', { token: adminToken });
      assert.equal(summary.status, 200, summary.text);
      assert.ok(summary.json<{ clicks: number }>().clicks >= 100);
    });

    it('answers 404 for an unknown code and 410 for an expired or deleted link', async () => {
      const unknown = await follow(`no-${randomBytes(4).toString('hex')}`);
      assert.equal(unknown.status, 404);
      assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);

      const expiring = await shorten({ url: 'https://example.com/flash', expiresAt: new Date(Date.now() + 2000).toISOString() });
      assert.equal(expiring.status, 201, expiring.text);
      const { code } = expiring.json<Link>();
      assert.equal((await follow(code)).status, 302);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const gone = await follow(code);
      assert.equal(gone.status, 410);
      const expired = (await gone.json()) as { detail: string; code: string };
      assert.match(expired.detail, /expired/);
      assert.equal(expired.code, linksErrors.linkExpired);

      const doomed = (await shorten({ url: 'https://example.com/old' })).json<Link>();
      assert.equal((await client.call('DELETE', `/api/links/${doomed.code}`, { token })).status, 204);
      const deleted = await follow(doomed.code);
      assert.equal(deleted.status, 410);
      assert.equal(((await deleted.json()) as { code: string }).code, linksErrors.linkDeleted);
      const listed = await client.call('GET', '/api/links?limit=100', { token });
      assert.ok(!listed.json<{ items: Link[] }>().items.some((l) => l.code === doomed.code));
    });

    it('refuses bad URLs and taken or malformed aliases with problem+json', async () => {
      for (const url of ['javascript:alert(1)', 'data:text/html,<b>hi</b>', 'not a url', 'ftp://example.com/file']) {
        const res = await shorten({ url });
        assert.equal(res.status, 400, `${url}: ${res.text}`);
        assert.ok(
          res.problem().errors?.some((e) => e.field === 'url'),
          res.text,
        );
      }
      const alias = `spring-${randomBytes(3).toString('hex')}`;
      assert.equal((await shorten({ url: 'https://example.com/a', alias })).status, 201);
      const taken = await shorten({ url: 'https://example.com/b', alias });
      assert.equal(taken.status, 409);
      assert.equal(taken.problem().status, 409);
      assert.equal((await shorten({ url: 'https://example.com/c', alias: 'a b' })).status, 400);
      assert.equal((await shorten({ url: 'https://example.com/c', expiresAt: '2001-01-01T00:00:00Z' })).status, 400);
      assert.equal((await client.call('POST', '/api/links', { body: { url: 'https://example.com' } })).status, 401);
    });
  });

  describe('QR codes', () => {
    it('encodes a short link as PNG and SVG that decode back to it, and serves a repeat from the cache', async () => {
      const { shortUrl } = (await shorten({ url: 'https://example.com/poster' })).json<Link>();
      const png = await fetch(`${stack.urls.gateway}/api/qr`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': client.forwardedFor },
        body: JSON.stringify({ content: shortUrl, format: 'png', size: 320, errorCorrection: 'Q' }),
      });
      assert.equal(png.status, 201, await png.clone().text());
      assert.equal(png.headers.get('content-type'), 'image/png');
      assert.equal(png.headers.get('x-qr-cache'), 'miss');
      const id = png.headers.get('x-qr-id');
      assert.ok(id);
      assert.equal(png.headers.get('location'), `/api/qr/${id}`);
      const pngBytes = Buffer.from(await png.arrayBuffer());
      assert.equal(decodePng(pngBytes), shortUrl);

      const again = await fetch(`${stack.urls.gateway}/api/qr`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': client.forwardedFor },
        body: JSON.stringify({ content: shortUrl, errorCorrection: 'Q', size: 320, format: 'png' }),
      });
      assert.equal(again.headers.get('x-qr-cache'), 'hit');
      assert.equal(again.headers.get('x-qr-id'), id);
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), pngBytes);

      const stored = await fetch(`${stack.urls.gateway}/api/qr/${id}`);
      assert.equal(stored.status, 200);
      assert.equal(stored.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await stored.arrayBuffer()), pngBytes);

      const svg = await client.call('POST', '/api/qr', {
        token,
        body: { content: shortUrl, format: 'svg', darkColor: '#1a237e', margin: 2 },
      });
      assert.equal(svg.status, 201, svg.text);
      assert.equal(svg.type, 'image/svg+xml');
      assert.match(svg.text, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.equal(decodeSvg(svg.text), shortUrl);
    });

    it('streams 200 progress events and a summary for a batch of 200 over SSE', async () => {
      const items = Array.from({ length: 200 }, (_, i) => ({
        content: `https://meshmart.local/ticket/${i}-${randomBytes(3).toString('hex')}`,
      }));
      const res = await stream('/api/qr/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items, options: { format: 'svg', size: 128 } }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events: ServerSentEvent[] = [];
      for await (const e of serverSentEvents(res)) events.push(e);
      const progress = events
        .filter((e) => e.event === 'progress')
        .map((e) => JSON.parse(e.data) as { index: number; ok: boolean; total: number });
      assert.equal(progress.length, 200);
      assert.deepEqual(
        progress.map((p) => p.index),
        items.map((_, i) => i),
      );
      assert.ok(progress.every((p) => p.ok && p.total === 200));
      const summary = events.filter((e) => e.event === 'summary');
      assert.equal(summary.length, 1);
      assert.deepEqual(
        { ...(JSON.parse(summary[0]?.data ?? '{}') as Record<string, unknown>), durationMs: 0 },
        { total: 200, succeeded: 200, failed: 0, cached: 0, durationMs: 0 },
      );
      assert.equal(events.at(-1)?.event, 'summary');
    });

    it('refuses oversize content, sizes and batches with 4xx problem+json before streaming', async () => {
      const long = await client.call('POST', '/api/qr', { token, body: { content: 'x'.repeat(5000) } });
      assert.equal(long.status, 400);
      assert.equal(long.problem().status, 400);
      assert.equal((await client.call('POST', '/api/qr', { token, body: { content: 'hi', size: 99_999 } })).status, 400);
      assert.equal((await client.call('POST', '/api/qr', { token, body: { content: 'hi', darkColor: 'red; x' } })).status, 400);
      const batch = await client.call('POST', '/api/qr/batch', {
        token,
        body: { items: Array.from({ length: 501 }, (_, i) => ({ content: `c${i}` })) },
      });
      assert.equal(batch.status, 400);
      assert.match(batch.type, /^application\/problem\+json/);
      assert.equal((await fetch(`${stack.urls.gateway}/api/qr/00000000-0000-4000-8000-000000000000`)).status, 404);
    });
  });

  describe('analytics', () => {
    it('counts tracked client events once per event id and keeps reports to their owners', async () => {
      const eventId = crypto.randomUUID();
      for (let i = 0; i < 2; i++) {
        const res = await client.call('POST', '/api/analytics/track', {
          token,
          body: { name: 'page.view', properties: { path: '/links' }, eventId },
        });
        assert.equal(res.status, 202, res.text);
      }
      await eventually('the tracked event in the usage report', async () => {
        const usage = await client.call('GET', '/api/analytics/usage', { token });
        return usage.json<{ trackedEvents: number }>().trackedEvents === 1 ? true : undefined;
      });
      assert.equal((await client.call('GET', '/api/analytics/summary', { token })).status, 403);
      assert.equal((await client.call('GET', `/api/analytics/users/${userId}/usage`, { token })).status, 403);
      assert.equal((await client.call('GET', '/api/analytics/summary?from=yesterday', { token: adminToken })).status, 400);
    });
  });

  describe('observability', () => {
    it('shows one redirect as one trace: gateway → links over gRPC through both sidecars → analytics over pub/sub', async () => {
      const { code } = (await shorten({ url: 'https://example.com/traced' })).json<Link>();
      const traceId = randomBytes(16).toString('hex');
      const res = await follow(code, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
      assert.equal(res.status, 302);
      type Span = { operationName: string; processID: string; tags: Array<{ key: string; value: unknown }> };
      type Trace = { spans: Span[]; processes: Record<string, { serviceName: string }> };
      const seen = (trace: Trace) =>
        new Set(
          trace.spans.map((s) => {
            const scope = String(s.tags.find((t) => t.key === 'otel.scope.name')?.value ?? '');
            const service = trace.processes[s.processID]?.serviceName;
            if (scope === 'dapr-diagnostics') return `${service}.daprd`;
            if (scope.endsWith('instrumentation-grpc')) return `${service}.grpc`;
            if (scope === SERVER_SPAN_SCOPE) return `${service}.http`;
            if (scope === SIDECAR_CALL_SCOPE) return `${service}.sidecar-call`;
            return `${service}.other`;
          }),
        );
      const wanted = [
        'gateway.http',
        'gateway.daprd',
        'links.daprd',
        'links.grpc',
        'links.sidecar-call',
        'analytics.daprd',
        'analytics.http',
      ];
      let last: string[] = [];
      await eventually(
        'the redirect and its click in one trace',
        async () => {
          const r = await fetch(`${stack.urls.jaeger}/api/traces/${traceId}`);
          if (!r.ok) return undefined;
          const trace = ((await r.json()) as { data: Trace[] }).data[0];
          if (!trace) return undefined;
          last = [...seen(trace)];
          return wanted.every((k) => last.includes(k)) ? true : undefined;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; spans seen: ${last.join(', ')}`);
      });
    });
  });
});
