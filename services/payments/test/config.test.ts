import assert from 'node:assert/strict';
import { ConfigError } from '@meshmart/kit';
import { service as topologyOf } from '@meshmart/kit/topology';
import { service } from '../src/service.ts';

describe('payments configuration', () => {
  const url = 'postgres://payments@127.0.0.1:5432/payments';

  it('needs only its database URL: its port comes from the topology, its pool and body limit have defaults', () => {
    const config = service.loadConfig({ DATABASE_URL: url });
    assert.equal(config.PORT, topologyOf('payments').port);
    assert.equal(config.ADMIN_PORT, undefined);
    assert.equal(config.DB_POOL_MAX, 10);
    assert.equal(config.BODY_LIMIT, '8kb');
    assert.equal(config.IDEMPOTENCY_WAIT_MS, 10_000);
  });

  it('refuses to start without its database, naming the variable', () => {
    assert.throws(() => service.loadConfig({}), /DATABASE_URL: .*\(not set\)/);
    assert.throws(
      () => service.loadConfig({ DATABASE_URL: 'mongodb://h/payments' }),
      /DATABASE_URL: must be a postgres or postgresql URL/,
    );
  });

  it('names every bad setting at once', () => {
    assert.throws(
      () => service.loadConfig({ DATABASE_URL: url, DB_POOL_MAX: '1', PORT: '0', IDEMPOTENCY_LEASE_MS: 'soon' }),
      (err: unknown) =>
        err instanceof ConfigError && ['DB_POOL_MAX', 'PORT', 'IDEMPOTENCY_LEASE_MS'].every((name) => err.message.includes(name)),
    );
  });
});
