import { randomBytes } from 'node:crypto';
import type { ServiceName } from '@meshmart/kit/topology';
import { type StackHandle, type StackOptions, startStack } from '@meshmart/stack';

export interface Credentials {
  email: string;
  password: string;
}

/** An admin of this run only: users creates it at start from ADMIN_EMAIL and ADMIN_PASSWORD. */
export function newAdmin(): Credentials {
  return { email: `admin-${randomBytes(4).toString('hex')}@meshmart.test`, password: randomBytes(12).toString('hex') };
}

type StackEnv = NonNullable<StackOptions['env']>;

/**
 * The environment of a stack that tests drive through the gateway: the tests present
 * themselves as many clients behind one trusted proxy (each GatewayClient its own
 * address), with budgets no test run reaches, and users creates `admin`. `env` adds to
 * this and wins per variable.
 */
export function gatewayTestEnv(admin: Credentials | undefined, env: StackEnv = {}): StackEnv {
  const merged: StackEnv = {
    gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '100000', RATE_LIMIT_API_MAX: '100000' },
    ...(admin && { users: { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password } }),
  };
  for (const [name, vars] of Object.entries(env) as Array<[ServiceName, Record<string, string>]>) {
    merged[name] = { ...merged[name], ...vars };
  }
  return merged;
}

/** startStack for an end-to-end test through the gateway, quiet, with `gatewayTestEnv`. */
export function startGatewayStack(
  options: Omit<StackOptions, 'env'> & { admin?: Credentials; env?: StackEnv } = {},
): Promise<StackHandle> {
  const { admin, env, ...rest } = options;
  return startStack({ quiet: true, ...rest, env: gatewayTestEnv(admin, env) });
}
