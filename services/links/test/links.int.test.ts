/**
 * links on the real servers: the service and its own daprd (state store on Redis,
 * pub/sub on RabbitMQ) started by the local stack, called over gRPC through that sidecar
 * with `dapr-app-id: links`, the way the gateway calls it. PostgreSQL is reached through
 * a TCP relay owned by this file, so an outage can be staged without stopping a
 * PostgreSQL that other test files share.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { type ServiceError, status } from '@grpc/grpc-js';
import { createPool, sidecarGrpcClient, unary } from '@meshmart/kit';
import {
  type GetLinkStatsResponse,
  type Link,
  LinksServiceClient,
  type StreamClickStatisticsResponse,
} from '@meshmart/proto/links/v1/links';
import { infraPorts, infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import { eventually } from '@meshmart/test-support';
import type pg from 'pg';
import { LinksRepo } from '../src/links-store.ts';

/** A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored. */
async function postgresRelay(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function grpcCode(promise: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('the call succeeded');
}

describe('links over gRPC through its sidecar', function () {
  this.timeout(60_000);
  let stack: StackHandle;
  let relay: Awaited<ReturnType<typeof postgresRelay>>;
  let client: LinksServiceClient;
  let db: pg.Pool;
  const owner = `owner-${randomUUID()}`;

  before(async function () {
    this.timeout(300_000);
    relay = await postgresRelay(infraPorts.postgres);
    const url = new URL(infraUrls.postgres('links'));
    url.port = String(relay.port);
    stack = await startStack({
      quiet: true,
      services: ['links'],
      env: { links: { DATABASE_URL: url.href, CLICK_RETRY_MS: '200', STREAM_MIN_INTERVAL_MS: '100' } },
    });
    const ports = stack.ports.services.links;
    assert.ok(ports);
    client = sidecarGrpcClient(LinksServiceClient, 'links', {
      daprGrpcPort: ports.daprGrpc,
      daprApiToken: stack.tokens.daprApiToken,
    });
    db = createPool(infraUrls.postgres('links'));
  });

  after(async () => {
    client?.close();
    await db?.end();
    await stack?.stop();
    await relay?.close();
  });

  const shorten = (req: { targetUrl: string; alias?: string; expiresAt?: string; ownerId?: string }) =>
    unary(client.shortenUrl.bind(client), { ownerId: owner, ...req }).then((r) => r.link as Link);
  const resolve = (code: string, referrer = '', userAgent = '') =>
    unary(client.resolveUrl.bind(client), { code, referrer, userAgent }).then((r) => r.targetUrl);
  const stats = (code: string, ownerId = owner, extra: { from?: string; to?: string; granularity?: string } = {}) =>
    unary(client.getLinkStats.bind(client), { code, ownerId, granularity: '', ...extra }) as Promise<GetLinkStatsResponse>;

  it('shortens a URL under a generated 7-character code', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/spring?utm=1' });
    assert.match(link.code, /^[0-9A-Za-z]{7}$/);
    assert.equal(link.targetUrl, 'https://example.com/spring?utm=1');
    assert.equal(link.ownerId, owner);
    assert.equal(link.customAlias, false);
    assert.equal(link.totalClicks, 0);
    assert.equal(link.expiresAt, undefined);
    assert.equal(await resolve(link.code), 'https://example.com/spring?utm=1');
  });

  it('refuses bad target URLs, aliases and expiries, naming the field', async () => {
    for (const targetUrl of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://user:secret@example.com/',
      'http://',
      'ftp://example.com/',
    ]) {
      const { code, details } = await grpcCode(shorten({ targetUrl }));
      assert.equal(code, status.INVALID_ARGUMENT, targetUrl);
      assert.match(details, /^target_url /);
    }
    const reserved = await grpcCode(shorten({ targetUrl: 'https://example.com/', alias: 'admin' }));
    assert.deepEqual(reserved.code, status.INVALID_ARGUMENT);
    assert.match(reserved.details, /^alias /);
    const past = await grpcCode(shorten({ targetUrl: 'https://example.com/', expiresAt: '2020-01-01T00:00:00Z' }));
    assert.equal(past.code, status.INVALID_ARGUMENT);
    assert.match(past.details, /^expires_at /);
    const anonymous = await grpcCode(shorten({ targetUrl: 'https://example.com/', ownerId: '' }));
    assert.equal(anonymous.code, status.INVALID_ARGUMENT);
  });

  it('keeps aliases unique, also after the link was deleted', async () => {
    const alias = `sale-${randomUUID().slice(0, 8)}`;
    const link = await shorten({ targetUrl: 'https://example.com/sale', alias });
    assert.equal(link.code, alias);
    assert.equal(link.customAlias, true);
    assert.equal(
      (await grpcCode(shorten({ targetUrl: 'https://example.org/', alias, ownerId: 'someone-else' }))).code,
      status.ALREADY_EXISTS,
    );
    await unary(client.deleteLink.bind(client), { code: alias, ownerId: owner });
    assert.equal((await grpcCode(shorten({ targetUrl: 'https://example.org/', alias }))).code, status.ALREADY_EXISTS);
  });

  it('answers NOT_FOUND for unknown codes and FAILED_PRECONDITION for deleted and expired links', async () => {
    assert.equal((await grpcCode(resolve('nope_never_made'))).code, status.NOT_FOUND);

    const doomed = await shorten({ targetUrl: 'https://example.com/doomed' });
    await resolve(doomed.code);
    await unary(client.deleteLink.bind(client), { code: doomed.code, ownerId: owner });
    assert.deepEqual(await grpcCode(resolve(doomed.code)), { code: status.FAILED_PRECONDITION, details: 'deleted' });

    const brief = await shorten({ targetUrl: 'https://example.com/brief', expiresAt: new Date(Date.now() + 1500).toISOString() });
    assert.equal(await resolve(brief.code), 'https://example.com/brief');
    const expired = await eventually('the link to expire', async () => {
      const answer = await grpcCode(resolve(brief.code)).catch(() => undefined);
      return answer?.code === status.FAILED_PRECONDITION ? answer : undefined;
    });
    assert.equal(expired.details, 'expired');
  });

  it('stores every one of 100 concurrent clicks before answering, with one traced link.clicked each', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/popular' });
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const targets = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 4 === 0
          ? resolve(link.code)
          : resolve(link.code, `https://news.example.net/item/${i}`, i % 2 === 0 ? chrome : 'curl/8.5.0'),
      ),
    );
    assert.ok(targets.every((t) => t === 'https://example.com/popular'));

    // No waiting: a redirect answered is a click stored.
    const answer = await stats(link.code);
    assert.equal(answer.link?.totalClicks, 100);
    assert.equal(answer.clicksInRange, 100);
    assert.equal(
      answer.series.reduce((sum, b) => sum + b.clicks, 0),
      100,
    );
    assert.equal(answer.series.length, 7 * 24 + 1);
    assert.deepEqual(answer.referrers, [
      { value: 'news.example.net', clicks: 75 },
      { value: '(direct)', clicks: 25 },
    ]);
    assert.deepEqual(
      [...answer.userAgents].sort((a, b) => a.value.localeCompare(b.value)),
      [
        { value: '(unknown)', clicks: 25 },
        { value: 'Chrome', clicks: 25 },
        { value: 'curl', clicks: 50 },
      ],
    );

    const { rows } = await db.query<{ click_id: string; traced: boolean }>(
      `SELECT envelope->'data'->>'clickId' AS click_id, trace_context ? 'traceparent' AS traced
       FROM outbox WHERE topic = 'link.clicked' AND envelope->'data'->>'code' = $1`,
      [link.code],
    );
    assert.equal(rows.length, 100);
    assert.equal(new Set(rows.map((r) => r.click_id)).size, 100);
    assert.ok(rows.every((r) => r.traced));
    // The relay hands them to the broker.
    await eventually('the click events to be published', async () => {
      const pending = await db.query(
        `SELECT 1 FROM outbox WHERE topic = 'link.clicked' AND envelope->'data'->>'code' = $1 AND published_at IS NULL`,
        [link.code],
      );
      return pending.rowCount === 0 ? true : undefined;
    });
  });

  it('stores a click batch once: a retried batch and unknown codes add no click, event or total', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/batch' });
    const repo = new LinksRepo(db);
    const click = (code: string) => ({
      id: randomUUID(),
      code,
      ownerId: owner,
      at: new Date(),
      referrer: '(direct)',
      userAgent: 'curl',
      traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const [first, second, unknown] = [click(link.code), click(link.code), click('nosuchcode')];
    const batch = [first, second, unknown];
    const listener = await db.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    await listener.query('LISTEN outbox; LISTEN link_clicks');
    try {
      assert.equal(await repo.recordClicks(batch), 2);
      assert.equal(await repo.recordClicks(batch), 0, 'a retried batch stores nothing twice');
      // One connection hears notifications in commit order: once the marker's arrive, any
      // the retry sent would have arrived before them.
      const marker = click(link.code);
      assert.equal(await repo.recordClicks([marker]), 1);
      const events = await db.query<{ click_id: string }>(
        `SELECT envelope->'data'->>'clickId' AS click_id FROM outbox
         WHERE topic = 'link.clicked' AND envelope->'data'->>'clickId' = ANY($1::text[])`,
        [[...batch, marker].map((c) => c.id)],
      );
      assert.deepEqual(
        events.rows.map((r) => r.click_id).sort(),
        [first.id, second.id, marker.id].sort(),
        'one event per stored click, none for the unknown code',
      );
      assert.equal((await stats(link.code)).link?.totalClicks, 3);
      const ours = () => heard.filter((h) => h === 'outbox:link.clicked' || h === `link_clicks:${link.code}`);
      await eventually('the notifications of the first batch and the marker', async () =>
        ours().length >= 4 ? true : undefined,
      );
      assert.deepEqual(
        ours(),
        ['outbox:link.clicked', `link_clicks:${link.code}`, 'outbox:link.clicked', `link_clicks:${link.code}`],
        'each storing commit wakes the relay, then the live streams; the retry notified nobody',
      );
    } finally {
      await listener.query('UNLISTEN *');
      listener.release();
    }
  });

  it('shows stats to the owner only, by day when asked', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/daily' });
    const before = Date.now();
    await resolve(link.code, 'https://blog.example.com/post');
    const after = Date.now();
    assert.equal((await grpcCode(stats(link.code, 'someone-else'))).code, status.NOT_FOUND);
    const to = new Date(Date.now() + 60_000);
    const from = new Date(to.getTime() - 3 * 86_400_000);
    const daily = await stats(link.code, owner, { from: from.toISOString(), to: to.toISOString(), granularity: 'day' });
    assert.ok(daily.series.length === 4 || daily.series.length === 3, `${daily.series.length} buckets`);
    // The click's UTC day: just before midnight it is not the range's last, as `to` is a minute ahead.
    const dayOf = (ms: number) => new Date(Math.floor(ms / 86_400_000) * 86_400_000).toISOString();
    const counted = daily.series.filter((b) => b.clicks > 0);
    assert.deepEqual(
      counted.map((b) => b.clicks),
      [1],
      JSON.stringify(daily.series),
    );
    assert.ok([dayOf(before), dayOf(after)].includes(counted[0]?.start ?? ''), `counted on ${counted[0]?.start}`);
    assert.deepEqual(daily.referrers, [{ value: 'blog.example.com', clicks: 1 }]);
    const tooLong = await grpcCode(stats(link.code, owner, { from: '2020-01-01T00:00:00Z', granularity: 'hour' }));
    assert.equal(tooLong.code, status.INVALID_ARGUMENT);
  });

  it('streams live counts to the owner as clicks arrive', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/live' });
    await resolve(link.code);
    const received: StreamClickStatisticsResponse[] = [];
    const call = client.streamClickStatistics({ code: link.code, ownerId: owner });
    const ended = new Promise<ServiceError | undefined>((done) => {
      call.on('error', (err: ServiceError) => done(err));
      call.on('end', () => done(undefined));
    });
    call.on('data', (message: StreamClickStatisticsResponse) => received.push(message));
    const first = await eventually('the first reading', async () => received[0]);
    assert.equal(first.code, link.code);
    assert.equal(first.totalClicks, 1);
    assert.equal(first.clicksLastMinute, 1);

    await Promise.all([resolve(link.code), resolve(link.code), resolve(link.code)]);
    const updated = await eventually('a reading with the new clicks', async () => received.find((m) => m.totalClicks === 4));
    assert.equal(updated.clicksLastMinute, 4);
    assert.ok(Date.parse(updated.at) >= Date.parse(first.at));

    call.cancel();
    const error = await ended;
    assert.equal(error?.code ?? status.CANCELLED, status.CANCELLED);

    const stranger = client.streamClickStatistics({ code: link.code, ownerId: 'someone-else' });
    const refused = await new Promise<ServiceError>((done) => {
      stranger.on('error', done);
      stranger.on('data', () => {});
    });
    assert.equal(refused.code, status.NOT_FOUND);
  });

  it('lists the owner’s live links newest first, page by page', async () => {
    const lister = `lister-${randomUUID()}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await shorten({ targetUrl: `https://example.com/${i}`, ownerId: lister })).code);
    await unary(client.deleteLink.bind(client), { code: made[2] as string, ownerId: lister });
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await unary(client.listLinks.bind(client), { ownerId: lister, pageSize: 2, pageToken });
      seen.push(...page.links.map((l) => l.code));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    assert.deepEqual(seen, [made[4], made[3], made[1], made[0]]);
    assert.equal(pages, 2);
    const forged = await grpcCode(unary(client.listLinks.bind(client), { ownerId: lister, pageSize: 2, pageToken: 'forged' }));
    assert.equal(forged.code, status.INVALID_ARGUMENT);
  });

  it('deletes only the owner’s links', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/mine' });
    const stranger = await grpcCode(unary(client.deleteLink.bind(client), { code: link.code, ownerId: 'someone-else' }));
    assert.equal(stranger.code, status.NOT_FOUND);
    assert.equal(await resolve(link.code), 'https://example.com/mine');
    await unary(client.deleteLink.bind(client), { code: link.code, ownerId: owner });
    const again = await grpcCode(unary(client.deleteLink.bind(client), { code: link.code, ownerId: owner }));
    assert.equal(again.code, status.NOT_FOUND);
  });

  it('keeps redirecting while PostgreSQL is unreachable and stores those clicks once it is back', async () => {
    const link = await shorten({ targetUrl: 'https://example.com/resilient' });
    await resolve(link.code);
    relay.cut();
    try {
      for (let i = 0; i < 5; i++) assert.equal(await resolve(link.code), 'https://example.com/resilient');
    } finally {
      relay.restore();
    }
    const total = await eventually('the kept clicks to be stored', async () => {
      const { rows } = await db.query<{ total_clicks: string }>('SELECT total_clicks FROM links WHERE code = $1', [link.code]);
      return rows[0]?.total_clicks === '6' ? 6 : undefined;
    });
    assert.equal(total, 6);
    assert.equal((await stats(link.code)).link?.totalClicks, 6);
  });

  it('exports the business metrics on the admin port', async () => {
    const admin = stack.ports.services.links?.admin;
    const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    for (const series of [
      /^links_created_total\{/m,
      /^links_redirects_total\{[^}]*outcome="found"/m,
      /^links_redirects_total\{[^}]*outcome="not_found"/m,
      /^links_redirects_total\{[^}]*outcome="expired"/m,
      /^links_redirects_total\{[^}]*outcome="deleted"/m,
      /^links_clicks_recorded_total\{/m,
      /^links_cache_lookups_total\{[^}]*result="hit"/m,
      /^links_click_batch_size_bucket\{/m,
      /^links_click_backlog\{/m,
      /^links_streams_open\{/m,
    ]) {
      assert.match(text, series);
    }
  });
});
