/**
 * Authentication and authorization at the edge, in two steps around rate limiting:
 * `identify` verifies the bearer token but only records the outcome, so that the rate
 * limiter can key on the user when there is one; `authorize` then refuses the request.
 * Callers with bad tokens are thereby limited by address instead of hammering the
 * verifier for free.
 */

import type { AccessTokenVerifier, Principal } from '@meshmart/kit';
import { type AppState, Problem, problems } from '@meshmart/kit';
import type { Context, Next } from 'koa';
import type { Access } from './routes.ts';

export interface GatewayState extends AppState {
  user?: Principal;
  /** Why the credentials were refused, kept until `authorize` runs. */
  credentialsProblem?: Problem;
}

export type GatewayContext = Context & { state: GatewayState };

/** With `optional`, a request without an Authorization header is anonymous, not refused. */
export function identify(verifier: AccessTokenVerifier, options: { optional?: boolean } = {}) {
  return async (ctx: GatewayContext, next: Next) => {
    const authorization = ctx.get('authorization');
    if (options.optional && authorization === '') return next();
    try {
      ctx.state.user = await verifier.verify(authorization);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      ctx.state.credentialsProblem = err;
    }
    await next();
  };
}

export function authorize(access: Exclude<Access, 'public'>) {
  return async (ctx: GatewayContext, next: Next) => {
    const { user, credentialsProblem } = ctx.state;
    if (credentialsProblem) throw credentialsProblem;
    if (access === 'optional') return next();
    if (!user) throw problems.unauthorized('a bearer access token is required');
    if (access === 'admin' && !user.roles.includes('admin')) throw problems.forbidden('the admin role is required');
    await next();
  };
}
