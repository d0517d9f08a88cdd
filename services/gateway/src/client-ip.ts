/**
 * The address anonymous callers are rate limited by. `X-Forwarded-For` is trusted only
 * for as many hops as there are proxies of ours in front of the gateway (in the cluster,
 * Istio's ingress gateway appends the peer it saw): entries further left are whatever
 * the client chose to send, so keying on them would let anyone pick a fresh budget.
 */
import type { Context } from 'koa';

export function clientIp(ctx: Context, trustedProxyHops: number): string {
  const peer = ctx.req.socket.remoteAddress ?? 'unknown';
  if (trustedProxyHops === 0) return peer;
  const chain = ctx
    .get('x-forwarded-for')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return chain[Math.max(0, chain.length - trustedProxyHops)] ?? peer;
}
