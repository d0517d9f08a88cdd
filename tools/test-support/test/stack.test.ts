import assert from 'node:assert/strict';
import { gatewayTestEnv, newAdmin } from '../src/stack.ts';

describe('the environment of a stack tests drive through the gateway', () => {
  it('trusts one proxy hop with budgets no run reaches, and has users create the admin', () => {
    const admin = newAdmin();
    assert.deepEqual(gatewayTestEnv(admin), {
      gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '100000', RATE_LIMIT_API_MAX: '100000' },
      users: { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password },
    });
    assert.notEqual(newAdmin().email, admin.email, 'each run has an admin of its own');
  });

  it('lets a test override one variable without losing the others, and creates no admin unless asked', () => {
    const env = gatewayTestEnv(undefined, { gateway: { RATE_LIMIT_AUTH_MAX: '5' }, orders: { SAGA_LEASE_SECONDS: '4' } });
    assert.deepEqual(env, {
      gateway: { TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_AUTH_MAX: '5', RATE_LIMIT_API_MAX: '100000' },
      orders: { SAGA_LEASE_SECONDS: '4' },
    });
  });
});
