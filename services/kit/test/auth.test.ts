import assert from 'node:assert/strict';
import type { Context } from 'koa';
import type { AccessTokenVerifier, Principal } from '../src/access-tokens.ts';
import { maybeUserOf, optionalUser, requireRole, requireUser, userOf } from '../src/auth.ts';
import { Problem, problems } from '../src/errors.ts';

/** Tokens are the principal's id and roles, e.g. `Bearer ada:admin,customer`; anything else is refused. */
const verifier: AccessTokenVerifier = {
  async verify(authorization) {
    const match = /^Bearer (\w+):([\w,]*)$/.exec(authorization);
    if (!match?.[1]) throw problems.unauthorized('invalid access token');
    return { id: match[1], roles: match[2] ? match[2].split(',') : [] };
  },
};

function request(authorization: string): Context {
  return {
    method: 'GET',
    path: '/x',
    state: {},
    get: (name: string) => (name === 'authorization' ? authorization : ''),
  } as unknown as Context;
}

async function run(middleware: ReturnType<typeof requireUser>, ctx: Context): Promise<{ reached: boolean }> {
  let reached = false;
  await middleware(ctx, async () => {
    reached = true;
  });
  return { reached };
}

async function refusal(middleware: ReturnType<typeof requireUser>, ctx: Context): Promise<Problem> {
  let reached = false;
  const err = await middleware(ctx, async () => {
    reached = true;
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal(reached, false, 'the handler ran for a refused request');
  assert.ok(err instanceof Problem, `expected a Problem, got ${String(err)}`);
  return err;
}

describe('requireUser / requireRole', () => {
  it('requireUser hands the verified principal to the handler', async () => {
    const ctx = request('Bearer ada:customer');
    assert.deepEqual(await run(requireUser(verifier), ctx), { reached: true });
    assert.deepEqual(userOf(ctx), { id: 'ada', roles: ['customer'] } satisfies Principal);
  });

  it('requireUser answers 401 without a token or with a bad one', async () => {
    assert.equal((await refusal(requireUser(verifier), request(''))).status, 401);
    assert.equal((await refusal(requireUser(verifier), request('Bearer !!'))).status, 401);
  });

  it('requireRole lets the role through and answers 403 naming it and the purpose otherwise', async () => {
    const admin = requireRole(verifier, 'admin', 'to change the catalog');
    const ctx = request('Bearer root:admin');
    assert.deepEqual(await run(admin, ctx), { reached: true });
    assert.equal(userOf(ctx).id, 'root');

    const refused = await refusal(admin, request('Bearer ada:customer'));
    assert.equal(refused.status, 403);
    assert.equal(refused.toBody().detail, 'the admin role is required to change the catalog');
    assert.equal((await refusal(admin, request(''))).status, 401);
  });

  it('optionalUser lets anonymous requests through but not a bad token', async () => {
    const anonymous = request('');
    assert.deepEqual(await run(optionalUser(verifier), anonymous), { reached: true });
    assert.equal(maybeUserOf(anonymous), undefined);

    const signedIn = request('Bearer ada:');
    await run(optionalUser(verifier), signedIn);
    assert.equal(maybeUserOf(signedIn)?.id, 'ada');

    assert.equal((await refusal(optionalUser(verifier), request('Basic abc'))).status, 401);
  });

  it('userOf fails loudly on a route that forgot the middleware', () => {
    assert.throws(() => userOf(request('Bearer ada:')), /GET \/x reads the user without requireUser or requireRole/);
  });
});
