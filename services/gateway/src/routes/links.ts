/** Short links, answered by the gateway over links' gRPC API (links.ts). */
import {
  clickEvent,
  link,
  linkCode,
  linkPage,
  linkStats,
  linkStatsQuery,
  listLinksQuery,
  shortenRequest,
} from '@meshmart/contracts/links';
import { z } from 'zod';
import type { LinksOperation, RouteTarget } from '../routes.ts';
import { calleeApi } from './callee.ts';

const linkCodeParams = z.strictObject({ code: linkCode });
const links = (operation: LinksOperation): RouteTarget => ({ kind: 'links', operation });

export const linksApi = calleeApi({
  tag: 'links',
  requests: { ShortenRequest: shortenRequest },
  responses: { Link: link, LinkPage: linkPage, LinkStats: linkStats },
  routes: [
    {
      method: 'POST',
      path: '/api/links',
      summary: 'Shorten a URL, under a generated code or a chosen alias, optionally expiring',
      access: 'user',
      body: shortenRequest,
      success: { status: 201, description: 'The new short link', schema: link },
      errors: [409],
      target: links('shorten'),
    },
    {
      method: 'GET',
      path: '/api/links',
      summary: 'Short links of the signed-in user, newest first',
      access: 'user',
      query: listLinksQuery,
      success: { status: 200, description: 'One page of links', schema: linkPage },
      target: links('list'),
    },
    {
      method: 'DELETE',
      path: '/api/links/:code',
      summary: 'Delete a short link; its code answers 410 Gone from then on and is never reused',
      access: 'user',
      params: linkCodeParams,
      success: { status: 204, description: 'Deleted' },
      errors: [404],
      target: links('delete'),
    },
    {
      method: 'GET',
      path: '/api/links/:code/stats',
      summary: 'Clicks over time, top referrers and user agents of a short link',
      access: 'user',
      params: linkCodeParams,
      query: linkStatsQuery,
      success: { status: 200, description: 'Statistics', schema: linkStats },
      errors: [404],
      target: links('stats'),
    },
    {
      method: 'GET',
      path: '/api/links/:code/stats/stream',
      summary: 'Live click counts of a short link as server-sent events',
      access: 'user',
      params: linkCodeParams,
      success: {
        status: 200,
        description:
          '`event: clicks` with the counts at once, then whenever they change; `: ping` comments while idle; ' +
          '`event: error` with a problem if the stream fails',
        contentType: 'text/event-stream',
        schema: clickEvent,
      },
      errors: [404],
      target: links('statsStream'),
    },
    {
      method: 'GET',
      path: '/s/:code',
      summary: 'Follow a short link (every follow is counted)',
      access: 'public',
      limit: 'redirect',
      params: linkCodeParams,
      notFoundOnBadParams: true,
      success: {
        status: 302,
        description: 'Redirect to the target URL',
        headers: { location: 'the target URL' },
      },
      errors: [404, 410],
      target: links('redirect'),
    },
  ],
});
