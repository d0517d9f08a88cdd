import assert from 'node:assert/strict';
import { ConfigError, env, loadConfig, serviceConfig } from '../src/config.ts';

describe('configuration from the environment', () => {
  const schema = serviceConfig({ DATABASE_URL: env.url(['postgres']), WORKERS: env.int(4, 1, 64) });

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
});
