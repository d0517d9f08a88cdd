/**
 * Catalog writes are for admins. The gateway checks the role first; catalog checks the
 * token again itself (users' keys, fetched through its own sidecar), so a caller that
 * reaches it some other way gains nothing.
 */
import { type AccessTokenVerifier, type Principal, problems } from '@meshmart/kit';
import type { Context } from 'koa';

export function adminGuard(verifier: AccessTokenVerifier): (ctx: Context) => Promise<Principal> {
  return async (ctx) => {
    const principal = await verifier.verify(ctx.get('authorization'));
    if (!principal.roles.includes('admin')) throw problems.forbidden('the admin role is required to change the catalog');
    return principal;
  };
}
