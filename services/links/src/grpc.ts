/** gRPC LinksService: inputs checked here, then the repo, the cache and the click recorder. */

import { randomUUID } from 'node:crypto';
import { type ServerWritableStream, status } from '@grpc/grpc-js';
import { linksErrors } from '@meshmart/contracts/links';
import { GrpcError, type Logger, type StreamHandler, type UnaryHandler } from '@meshmart/kit';
import { currentTraceContext } from '@meshmart/kit/tracing';
import type * as pb from '@meshmart/proto/links/v1/links';
import type { ClickRecorder } from './click-recorder.ts';
import { referrerHost, userAgentFamily } from './click-source.ts';
import { type LinkCache, type Mapping, mappingOf } from './link-cache.ts';
import type { LinkRow, LinksRepo } from './links-store.ts';
import type { LiveStats } from './live-stats.ts';
import { linksCreated, redirects } from './metrics.ts';
import {
  checkAlias,
  checkCode,
  checkExpiry,
  checkOwner,
  checkPageSize,
  checkStatsRange,
  checkTargetUrl,
  decodePageToken,
  encodePageToken,
  generateCode,
} from './schemas.ts';

export interface LinksDeps {
  repo: LinksRepo;
  cache: LinkCache;
  recorder: ClickRecorder;
  live: LiveStats;
  maxBuckets: number;
  logger: Logger;
}

type Handlers = {
  shortenUrl: UnaryHandler<pb.ShortenURLRequest, pb.ShortenURLResponse>;
  resolveUrl: UnaryHandler<pb.ResolveURLRequest, pb.ResolveURLResponse>;
  listLinks: UnaryHandler<pb.ListLinksRequest, pb.ListLinksResponse>;
  deleteLink: UnaryHandler<pb.DeleteLinkRequest, pb.DeleteLinkResponse>;
  getLinkStats: UnaryHandler<pb.GetLinkStatsRequest, pb.GetLinkStatsResponse>;
  streamClickStatistics: StreamHandler<pb.StreamClickStatisticsRequest, pb.StreamClickStatisticsResponse>;
};

/** Attempts at a free generated code; at 62^7 codes a second attempt is already rare. */
const CODE_ATTEMPTS = 5;

function toLink(row: LinkRow): pb.Link {
  return {
    code: row.code,
    targetUrl: row.targetUrl,
    ownerId: row.ownerId,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString(),
    totalClicks: row.totalClicks,
    customAlias: row.customAlias,
  };
}

/** PostgreSQL unreachable or restarting: callers may retry, unlike a bug (INTERNAL). */
function isStorageOutage(err: unknown): boolean {
  if (err instanceof GrpcError) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' &&
      (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) ||
        code.startsWith('08'))) ||
    (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/.test(message))
  );
}

function outagesAsUnavailable<H extends Record<string, (call: never) => Promise<unknown>>>(handlers: H): H {
  const wrapped: Record<string, (call: never) => Promise<unknown>> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = async (call) => {
      try {
        return await handler(call);
      } catch (err) {
        if (isStorageOutage(err)) throw new GrpcError(status.UNAVAILABLE, 'link storage is unavailable; retry later');
        throw err;
      }
    };
  }
  return wrapped as H;
}

function untilCancelled(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    if (call.cancelled) resolve();
    call.once('cancelled', () => resolve());
    call.once('close', () => resolve());
  });
}

export function linksHandlers({ repo, cache, recorder, live, maxBuckets, logger }: LinksDeps): Handlers {
  /** The mapping from the cache, else PostgreSQL (refilling the cache unless it is down). */
  async function lookup(code: string): Promise<Mapping | undefined> {
    const cached = await cache.read(code);
    if (cached.result === 'hit') return cached.value;
    const row = await repo.byCode(code);
    if (!row) return undefined;
    const mapping = mappingOf(row);
    // Not awaited: the redirect does not wait for the refill.
    if (cached.result === 'miss') void cache.write(code, mapping);
    return mapping;
  }

  async function owned(code: string, ownerId: string): Promise<LinkRow> {
    const link = await repo.owned(checkCode(code), checkOwner(ownerId));
    // Someone else's link answers like a missing one, so codes cannot be probed for owners.
    if (!link) throw new GrpcError(status.NOT_FOUND, `no link ${code}`);
    return link;
  }

  return outagesAsUnavailable<Handlers>({
    async shortenUrl(call) {
      const req = call.request;
      const targetUrl = checkTargetUrl(req.targetUrl);
      const ownerId = checkOwner(req.ownerId);
      const alias = req.alias === undefined ? undefined : checkAlias(req.alias);
      const expiresAt = req.expiresAt === undefined ? null : checkExpiry(req.expiresAt);
      let row: LinkRow | undefined;
      for (let attempt = 0; !row && attempt < (alias ? 1 : CODE_ATTEMPTS); attempt++) {
        row = await repo.create({ code: alias ?? generateCode(), targetUrl, ownerId, customAlias: Boolean(alias), expiresAt });
      }
      if (!row && alias) throw new GrpcError(status.ALREADY_EXISTS, `alias "${alias}" is taken`);
      if (!row) throw new GrpcError(status.INTERNAL, 'no free code found; try again');
      linksCreated.inc({ custom_alias: String(row.customAlias) });
      await cache.write(row.code, mappingOf(row));
      return { link: toLink(row) };
    },

    async resolveUrl(call) {
      const code = checkCode(call.request.code);
      // Captured now: the click is written later, in a transaction shared with others.
      const traceContext = currentTraceContext();
      const mapping = await lookup(code);
      if (!mapping) {
        redirects.inc({ outcome: 'not_found' });
        throw new GrpcError(status.NOT_FOUND, `no link ${code}`);
      }
      if (mapping.deleted) {
        redirects.inc({ outcome: 'deleted' });
        throw new GrpcError(status.FAILED_PRECONDITION, 'deleted', linksErrors.linkDeleted);
      }
      const at = new Date();
      if (mapping.expiresAt !== null && Date.parse(mapping.expiresAt) <= at.getTime()) {
        redirects.inc({ outcome: 'expired' });
        throw new GrpcError(status.FAILED_PRECONDITION, 'expired', linksErrors.linkExpired);
      }
      await recorder.record({
        id: randomUUID(),
        code,
        ownerId: mapping.owner,
        at,
        referrer: referrerHost(call.request.referrer),
        userAgent: userAgentFamily(call.request.userAgent),
        traceContext,
      });
      redirects.inc({ outcome: 'found' });
      return { targetUrl: mapping.target };
    },

    async listLinks(call) {
      const ownerId = checkOwner(call.request.ownerId);
      const pageSize = checkPageSize(call.request.pageSize);
      const after = decodePageToken(call.request.pageToken);
      const rows = await repo.list(ownerId, pageSize + 1, after);
      if (!rows) throw new GrpcError(status.INVALID_ARGUMENT, 'page_token is not one this service issued');
      const page = rows.slice(0, pageSize);
      const last = page.at(-1);
      return { links: page.map(toLink), nextPageToken: rows.length > pageSize && last ? encodePageToken(last.code) : '' };
    },

    async deleteLink(call) {
      const code = checkCode(call.request.code);
      const row = await repo.delete(code, checkOwner(call.request.ownerId));
      if (!row) throw new GrpcError(status.NOT_FOUND, `no link ${code}`);
      // A tombstone rather than a removal: the next redirect answers "deleted" without
      // asking PostgreSQL. Removing is the fallback. With the store down both fail, and
      // the old mapping can redirect until its TTL: logged, since a retried delete would
      // only find the link gone.
      if (!(await cache.write(code, mappingOf(row))) && !(await cache.remove(code))) {
        logger.error('deleted link may still redirect until its cache entry expires', { code });
      }
      return {};
    },

    async getLinkStats(call) {
      const req = call.request;
      const link = await owned(req.code, req.ownerId);
      const range = checkStatsRange(req, maxBuckets);
      const stats = await repo.stats(link.code, range);
      return {
        link: toLink(link),
        clicksInRange: stats.clicksInRange,
        series: stats.series.map((b) => ({ start: b.start.toISOString(), clicks: b.clicks })),
        referrers: stats.referrers,
        userAgents: stats.userAgents,
      };
    },

    async streamClickStatistics(call) {
      const link = await owned(call.request.code, call.request.ownerId);
      await live.follow(
        link.code,
        (reading) => {
          if (!call.cancelled && call.writable) call.write(reading);
        },
        untilCancelled(call),
      );
    },
  });
}
