/** REST routes, reached only through the sidecar (the app token is checked by the kit). */
import type Router from '@koa/router';
import {
  addressIdParam,
  addressRequest,
  listUsersQuery,
  loginRequest,
  refreshRequest,
  registerRequest,
  updateMeRequest,
} from '@meshmart/contracts/users';
import { type AppContext, capability, parse, problems, VerifiedTokens } from '@meshmart/kit';
import { errors, type JWTVerifyGetKey } from 'jose';
import type { Context } from 'koa';
import type { Accounts } from './accounts.ts';
import { type SigningKeys, VERIFICATION_KEYS_MAX_AGE_MS } from './signing-keys.ts';
import { type AccessClaims, type TokenSettings, verifyAccessToken } from './tokens.ts';
import type { UsersRepo } from './users-store.ts';

export interface RouteDeps {
  accounts: Accounts;
  repo: UsersRepo;
  keys: SigningKeys;
  tokens: TokenSettings;
}

export function mountRoutes(router: Router, { accounts, repo, keys, tokens }: RouteDeps): void {
  const verifiedTokens = new VerifiedTokens<AccessClaims>(VERIFICATION_KEYS_MAX_AGE_MS);
  // The gateway verifies tokens too; checking again here keeps users safe from any
  // caller that reaches it without passing the edge.
  async function claims(ctx: Context): Promise<AccessClaims> {
    const header = ctx.get('authorization');
    const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header);
    if (!match?.[1]) throw problems.unauthorized('a bearer access token is required');
    const token = match[1];
    const known = verifiedTokens.get(token);
    if (known) return known;
    // Keys are loaded outside the catch: keys that cannot be read (the database is down)
    // say nothing about the token, and a 401 would sign the user out over an outage.
    const verify = async (keySet: JWTVerifyGetKey) => verifyAccessToken(keySet, tokens, token).catch((err: Error) => err);
    let verified = await verify(await keys.verificationKeys());
    if (verified instanceof errors.JWKSNoMatchingKey) verified = await verify(await keys.verificationKeys(true));
    if (verified instanceof Error) throw problems.unauthorized(`access token rejected: ${verified.message}`);
    verifiedTokens.remember(token, verified, verified.exp as number);
    return verified;
  }

  async function me(ctx: Context) {
    const { sub } = await claims(ctx);
    const user = await repo.byId(sub);
    if (!user) throw problems.unauthorized('the account of this token no longer exists');
    return user;
  }

  const body = (ctx: Context) => (ctx as AppContext).state.body;
  const profile = capability('your profile');
  const addresses = capability('your addresses');

  router.get('/.well-known/jwks.json', capability('sign-in'), async (ctx) => {
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = await keys.jwks();
  });

  router.post('/auth/register', capability('sign-up'), async (ctx) => {
    const input = parse(registerRequest, body(ctx));
    ctx.status = 201;
    ctx.body = await accounts.register(input);
  });

  router.post('/auth/login', capability('sign-in'), async (ctx) => {
    const { email, password } = parse(loginRequest, body(ctx));
    ctx.body = await accounts.login(email, password);
  });

  router.post('/auth/refresh', capability('sign-in'), async (ctx) => {
    const { refreshToken } = parse(refreshRequest, body(ctx));
    ctx.body = await accounts.refresh(refreshToken);
  });

  router.post('/auth/logout', capability('sign-out'), async (ctx) => {
    const { refreshToken } = parse(refreshRequest, body(ctx));
    await accounts.logout(refreshToken);
    ctx.status = 204;
  });

  router.get('/me', profile, async (ctx) => {
    ctx.body = await me(ctx);
  });

  router.put('/me', profile, async (ctx) => {
    const { displayName } = parse(updateMeRequest, body(ctx));
    const { id } = await me(ctx);
    ctx.body = await repo.updateDisplayName(id, displayName);
  });

  router.get('/me/addresses', addresses, async (ctx) => {
    const { id } = await me(ctx);
    ctx.body = { items: await repo.addresses(id) };
  });

  router.post('/me/addresses', addresses, async (ctx) => {
    const input = parse(addressRequest, body(ctx));
    const { id } = await me(ctx);
    ctx.status = 201;
    ctx.body = await repo.addAddress(id, input);
  });

  router.get('/me/addresses/:id', addresses, async (ctx) => {
    const addressId = parse(addressIdParam, ctx.params.id);
    const { id } = await me(ctx);
    const address = await repo.address(id, addressId);
    if (!address) throw problems.notFound(`no address ${addressId}`);
    ctx.body = address;
  });

  router.put('/me/addresses/:id', addresses, async (ctx) => {
    const addressId = parse(addressIdParam, ctx.params.id);
    const input = parse(addressRequest, body(ctx));
    const { id } = await me(ctx);
    const address = await repo.replaceAddress(id, addressId, input);
    if (!address) throw problems.notFound(`no address ${addressId}`);
    ctx.body = address;
  });

  router.delete('/me/addresses/:id', addresses, async (ctx) => {
    const addressId = parse(addressIdParam, ctx.params.id);
    const { id } = await me(ctx);
    if (!(await repo.deleteAddress(id, addressId))) throw problems.notFound(`no address ${addressId}`);
    ctx.status = 204;
  });

  router.get('/admin/users', capability('user administration'), async (ctx) => {
    const { roles } = await claims(ctx);
    if (!roles.includes('admin')) throw problems.forbidden('the admin role is required');
    const { limit, offset } = parse(listUsersQuery, ctx.query);
    ctx.body = { ...(await repo.list(limit, offset)), limit, offset };
  });
}
