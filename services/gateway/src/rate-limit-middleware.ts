/** Applies the shared fixed-window limits to a route; see rate-limit.ts for the policy. */
import { type Logger, problems } from '@meshmart/kit';
import type { Next } from 'koa';
import type { GatewayContext } from './access-control.ts';
import { clientIp } from './client-ip.ts';
import { rateLimitErrors, rateLimited } from './metrics.ts';
import type { Decision, FixedWindowLimiter } from './rate-limit.ts';
import type { LimitGroup } from './routes.ts';

export interface RateLimitingOptions {
  limiter: FixedWindowLimiter;
  logger: Logger;
  trustedProxyHops: number;
}

/** One failure line per interval: during a store outage every request would log one. */
const LOG_INTERVAL_MS = 10_000;

export function createRateLimiting({ limiter, logger, trustedProxyHops }: RateLimitingOptions) {
  let lastLogged = 0;
  let unlogged = 0;

  function noteFailure(err: unknown): void {
    rateLimitErrors.inc();
    const now = Date.now();
    if (now - lastLogged < LOG_INTERVAL_MS) {
      unlogged++;
      return;
    }
    logger.warn('rate limiter unavailable; letting requests through unchecked', {
      err: (err as Error).message,
      unlogged_failures: unlogged,
    });
    lastLogged = now;
    unlogged = 0;
  }

  return (group: LimitGroup, route: string) => async (ctx: GatewayContext, next: Next) => {
    const client = ctx.state.user ? `user:${ctx.state.user.id}` : `ip:${clientIp(ctx, trustedProxyHops)}`;
    let decision: Decision | undefined;
    try {
      decision = await limiter.hit(group, client);
    } catch (err) {
      noteFailure(err);
    }
    if (decision) {
      ctx.set('ratelimit-limit', String(decision.limit));
      if (!decision.allowed) {
        rateLimited.inc({ route });
        ctx.set('ratelimit-remaining', '0');
        throw problems.tooManyRequests(decision.retryAfterSeconds);
      }
      ctx.set('ratelimit-remaining', String(decision.remaining));
      ctx.set('ratelimit-reset', String(decision.resetSeconds));
    }
    await next();
  };
}
