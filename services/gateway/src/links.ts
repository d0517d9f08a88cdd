/**
 * Short-link routes, answered over gRPC to links through the gateway's own sidecar
 * (`dapr-app-id: links`). The owner is always the signed-in user: links trusts the
 * owner id it is given because only the gateway can reach it.
 */

import { type ServiceError, status } from '@grpc/grpc-js';
import {
  type clickEvent,
  LINK_CODE,
  type link,
  type linkStatsQuery,
  linksErrors,
  type listLinksQuery,
  type shortenRequest,
} from '@meshmart/contracts/links';
import { grpcErrorCode, Problem, problemFromGrpc, problems, unary } from '@meshmart/kit';
import type { Link, LinksServiceClient, StreamClickStatisticsResponse } from '@meshmart/proto/links/v1/links';
import type { z } from 'zod';
import { routeInput } from './forward.ts';
import { type RouteContext, type RouteHandler, unaryCalls } from './grpc-callee.ts';
import { redirects } from './metrics.ts';
import type { GatewayRoute, LinksOperation } from './routes.ts';
import { relayAsEventStream } from './sse.ts';

export interface LinksDeps {
  client: LinksServiceClient;
  /** Origin of handed-out short URLs, without a trailing slash. */
  publicBaseUrl: string;
  unaryTimeoutMs: number;
  resolveTimeoutMs: number;
  heartbeatMs: number;
}

export function linkBody(l: Link, publicBaseUrl: string): z.infer<typeof link> {
  return {
    code: l.code,
    url: l.targetUrl,
    shortUrl: `${publicBaseUrl}/s/${encodeURIComponent(l.code)}`,
    customAlias: l.customAlias,
    createdAt: l.createdAt,
    expiresAt: l.expiresAt ?? null,
    totalClicks: l.totalClicks,
  };
}

/**
 * The problem a failed ResolveURL becomes. FAILED_PRECONDITION is links' "it existed but
 * is expired or deleted" (which one in its error code), which a visitor should see as 410.
 */
export function redirectProblem(err: unknown): Problem {
  const e = err as Partial<ServiceError>;
  if (e.code === status.NOT_FOUND) return problems.notFound('no short link has this code');
  if (e.code === status.FAILED_PRECONDITION) {
    const code = grpcErrorCode(err);
    if (code === linksErrors.linkExpired) return gone('this short link has expired', code);
    if (code === linksErrors.linkDeleted) return gone('this short link was deleted', code);
    return problems.gone('this short link no longer leads anywhere');
  }
  return problemFromGrpc(err, 'links');
}

const gone = (detail: string, code: string) => new Problem(410, 'gone', 'Gone', { detail, code });

const REDIRECT_OUTCOMES: Partial<Record<number, string>> = { 404: 'not_found', 410: 'gone' };

export function linksHandler(operation: LinksOperation, route: GatewayRoute, deps: LinksDeps): RouteHandler {
  const { client, publicBaseUrl, unaryTimeoutMs } = deps;
  const call = unaryCalls(client, 'links', unaryTimeoutMs);
  const ownerId = (ctx: RouteContext) => ctx.state.user?.id ?? '';

  switch (operation) {
    case 'redirect':
      return redirect(deps);

    case 'shorten':
      return async (ctx) => {
        const body = routeInput(route, ctx).body as z.infer<typeof shortenRequest>;
        const { link: created } = await call(client.shortenUrl, {
          targetUrl: body.url,
          alias: body.alias,
          expiresAt: body.expiresAt,
          ownerId: ownerId(ctx),
        });
        if (!created) throw problems.badGateway('links answered ShortenURL without the link');
        ctx.status = 201;
        ctx.set('cache-control', 'no-store');
        ctx.body = linkBody(created, publicBaseUrl);
      };

    case 'list':
      return async (ctx) => {
        const query = routeInput(route, ctx).query as z.infer<typeof listLinksQuery>;
        const page = await call(client.listLinks, {
          ownerId: ownerId(ctx),
          pageSize: query.limit ?? 0,
          pageToken: query.pageToken ?? '',
        });
        ctx.set('cache-control', 'no-store');
        ctx.body = {
          items: page.links.map((l) => linkBody(l, publicBaseUrl)),
          nextPageToken: page.nextPageToken || null,
        };
      };

    case 'delete':
      return async (ctx) => {
        const { code } = routeInput(route, ctx).params as { code: string };
        await call(client.deleteLink, { code, ownerId: ownerId(ctx) });
        ctx.status = 204;
      };

    case 'stats':
      return async (ctx) => {
        const input = routeInput(route, ctx);
        const { code } = input.params as { code: string };
        const query = input.query as z.infer<typeof linkStatsQuery>;
        const stats = await call(client.getLinkStats, {
          code,
          ownerId: ownerId(ctx),
          from: query.from,
          to: query.to,
          granularity: query.granularity ?? '',
        });
        if (!stats.link) throw problems.badGateway('links answered GetLinkStats without the link');
        ctx.set('cache-control', 'no-store');
        ctx.body = {
          link: linkBody(stats.link, publicBaseUrl),
          clicksInRange: stats.clicksInRange,
          series: stats.series.map(({ start, clicks }) => ({ start, clicks })),
          referrers: stats.referrers.map(({ value, clicks }) => ({ value, clicks })),
          userAgents: stats.userAgents.map(({ value, clicks }) => ({ value, clicks })),
        };
      };

    case 'statsStream':
      return async (ctx) => {
        const { code } = routeInput(route, ctx).params as { code: string };
        // No deadline: the stream lasts as long as someone watches; a closed tab cancels it.
        const stream = client.streamClickStatistics({ code, ownerId: ownerId(ctx) });
        let last: string | undefined;
        await relayAsEventStream(ctx, stream, {
          route: route.path,
          target: 'links',
          heartbeatMs: deps.heartbeatMs,
          firstMessageTimeoutMs: unaryTimeoutMs,
          // links repeats the counts as a heartbeat while idle; the browser only needs
          // changes, and the gateway's own ping keeps the connection alive.
          toEvent: (m: StreamClickStatisticsResponse) => {
            const counts = `${m.totalClicks}/${m.clicksLastMinute}`;
            if (counts === last) return undefined;
            last = counts;
            const data: z.infer<typeof clickEvent> = {
              code: m.code,
              totalClicks: m.totalClicks,
              clicksLastMinute: m.clicksLastMinute,
              at: m.at,
            };
            return { event: 'clicks', data };
          },
        });
      };
  }
}

/**
 * `GET /s/:code`, the hot path: a cheap shape check instead of schema parsing (no code
 * of another shape exists, so it is a 404 without a call), one unary call, and a bare
 * 302 that no cache may keep, so that every follow reaches links and is counted.
 */
function redirect({ client, resolveTimeoutMs }: LinksDeps): RouteHandler {
  const resolve = client.resolveUrl.bind(client);
  // Every outcome is exported from the start, so rates and ratios have all their series.
  for (const outcome of ['redirected', 'not_found', 'gone', 'error']) redirects.inc({ outcome }, 0);
  return async (ctx) => {
    const code = ctx.params.code ?? '';
    if (!LINK_CODE.test(code)) {
      redirects.inc({ outcome: 'not_found' });
      throw problems.notFound('no short link has this code');
    }
    let targetUrl: string;
    try {
      ({ targetUrl } = await unary(
        resolve,
        { code, referrer: ctx.get('referer'), userAgent: ctx.get('user-agent') },
        resolveTimeoutMs,
      ));
    } catch (err) {
      const problem = redirectProblem(err);
      redirects.inc({ outcome: REDIRECT_OUTCOMES[problem.status] ?? 'error' });
      throw problem;
    }
    // links only stores http(s) targets; checked again so that nothing else can ever
    // come out of this gateway as a Location.
    if (!targetUrl.startsWith('https://') && !targetUrl.startsWith('http://')) {
      redirects.inc({ outcome: 'error' });
      throw problems.badGateway('links resolved the code to a URL that is not http(s)');
    }
    redirects.inc({ outcome: 'redirected' });
    ctx.status = 302;
    // A header may only carry visible ASCII; the URL parser percent-encodes the rest.
    ctx.set('location', /[^\x21-\x7e]/.test(targetUrl) ? new URL(targetUrl).href : targetUrl);
    ctx.set('cache-control', 'no-store');
  };
}
