import assert from 'node:assert/strict';
import { ConfigError, env, loadConfig, postgresConfigShape, serviceConfig } from '../src/config.ts';
import { defineService } from '../src/define-service.ts';

describe('configuration from the environment', () => {
  // A name the topology does not list: no port defaults, so PORT must be set.
  const schema = serviceConfig('config-test', { DATABASE_URL: env.url(['postgres']), WORKERS: env.int(4, 1, 64) });

  it('applies typed defaults', () => {
    const config = loadConfig(schema, { PORT: '8080', DATABASE_URL: 'postgres://u@h/db' });
    assert.equal(config.WORKERS, 4);
    assert.equal(config.DAPR_HTTP_PORT, 3500);
    assert.equal(config.REQUIRE_DAPR_TOKENS, false);
  });

  it('refuses to start naming every bad or missing variable', () => {
    assert.throws(
      () => loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://h/db', WORKERS: '0' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /PORT/.test(err.message) &&
        /DATABASE_URL: must be a postgres URL/.test(err.message) &&
        /WORKERS/.test(err.message),
    );
  });

  it('demands both Dapr tokens when tokens are required', () => {
    assert.throws(
      () => loadConfig(schema, { PORT: '1', DATABASE_URL: 'postgres://h/db', REQUIRE_DAPR_TOKENS: 'true', DAPR_API_TOKEN: 'x' }),
      (err: unknown) => err instanceof ConfigError && /APP_API_TOKEN: required/.test(err.message),
    );
  });

  it('treats an empty variable as unset', () => {
    assert.throws(() => loadConfig(schema, { PORT: '1', DATABASE_URL: '' }), /DATABASE_URL.*not set/);
  });

  it('takes the ports of a service the topology lists from it, and wants PORT of one it does not', () => {
    const qr = loadConfig(serviceConfig('qr', {}), {});
    assert.equal(qr.PORT, 50051);
    assert.equal(qr.ADMIN_PORT, 9091);
    const analytics = loadConfig(serviceConfig('analytics', {}), { PORT: '18081' });
    assert.equal(analytics.PORT, 18081);
    assert.equal(analytics.ADMIN_PORT, undefined);
    assert.throws(() => loadConfig(schema, { DATABASE_URL: 'postgres://h/db' }), /PORT: .*not set/);
  });

  it("bounds the database pool, with the service's own ceiling as default", () => {
    const database = (poolMax?: number) => serviceConfig('payments', postgresConfigShape(poolMax));
    const url = 'postgresql://u@h/db';
    assert.equal(loadConfig(database(), { DATABASE_URL: url }).DB_POOL_MAX, 10);
    assert.equal(loadConfig(database(20), { DATABASE_URL: url }).DB_POOL_MAX, 20);
    assert.equal(loadConfig(database(20), { DATABASE_URL: url, DB_POOL_MAX: '50' }).DB_POOL_MAX, 50);
    assert.throws(() => loadConfig(database(), { DATABASE_URL: url, DB_POOL_MAX: '1' }), /DB_POOL_MAX: .*got "1"/);
    assert.throws(() => loadConfig(database(), {}), /DATABASE_URL: .*not set/);
  });

  it('refuses a service that declares a database its configuration has no settings for', () => {
    const compose = () => ({});
    assert.throws(
      () => defineService({ name: 'payments', config: serviceConfig('payments', {}), postgres: { migrations: [] }, compose }),
      /payments declares postgres, but its configuration lacks postgresConfigShape/,
    );
    const config = serviceConfig('payments', postgresConfigShape());
    assert.equal(defineService({ name: 'payments', config, postgres: { migrations: [] }, compose }).name, 'payments');
  });
});
