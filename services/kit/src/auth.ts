/**
 * Koa middleware for routes that act for a signed-in user. The gateway checks tokens at
 * the edge; each service checks them again with users' keys (fetched through its own
 * sidecar), so a caller that reaches it some other way gains nothing. The principal is
 * left in `ctx.state.user` for the handler (`userOf(ctx)`).
 */
import type { Context, Middleware, Next } from 'koa';
import type { AccessTokenVerifier, Principal } from './access-tokens.ts';
import { problems } from './errors.ts';

/** 401 unless the request carries a valid access token. */
export function requireUser(verifier: AccessTokenVerifier): Middleware {
  return async (ctx: Context, next: Next) => {
    ctx.state.user = await verifier.verify(ctx.get('authorization'));
    await next();
  };
}

/**
 * 401 without a valid token, 403 without `role`; `purpose` ends the 403's detail, e.g.
 * `to change the catalog`.
 */
export function requireRole(verifier: AccessTokenVerifier, role: string, purpose: string): Middleware {
  return async (ctx: Context, next: Next) => {
    const user = await verifier.verify(ctx.get('authorization'));
    if (!user.roles.includes(role)) throw problems.forbidden(`the ${role} role is required ${purpose}`);
    ctx.state.user = user;
    await next();
  };
}

/** A user when a token is sent (which must then be valid), anonymous without one. */
export function optionalUser(verifier: AccessTokenVerifier): Middleware {
  return async (ctx: Context, next: Next) => {
    const authorization = ctx.get('authorization');
    if (authorization !== '') ctx.state.user = await verifier.verify(authorization);
    await next();
  };
}

/** The principal one of the middleware above verified. */
export function userOf(ctx: Context): Principal {
  const user = ctx.state.user as Principal | undefined;
  if (!user) throw new Error(`${ctx.method} ${ctx.path} reads the user without requireUser or requireRole before it`);
  return user;
}

/** The principal optionalUser found, if a token was sent. */
export function maybeUserOf(ctx: Context): Principal | undefined {
  return ctx.state.user as Principal | undefined;
}
