import assert from 'node:assert/strict';
import { ConfigError } from '@meshmart/kit';
import { service } from '../src/service.ts';

describe('gateway configuration', () => {
  it('starts from the shared variables alone, with cluster defaults', () => {
    const config = service.loadConfig({ DAPR_HTTP_PORT: '3510' });
    assert.equal(config.PORT, 3000);
    assert.equal(config.DAPR_HTTP_PORT, 3510);
    assert.equal(config.JWT_ISSUER, 'meshmart-users');
    assert.equal(config.JWT_AUDIENCE, 'meshmart');
    assert.equal(config.STATE_STORE, 'statestore');
    assert.equal(config.RATE_LIMIT_AUTH_MAX, 20);
    assert.equal(config.RATE_LIMIT_API_MAX, 300);
    assert.equal(config.TRUSTED_PROXY_HOPS, 0);
    assert.equal(config.PUBLIC_BASE_URL, 'http://127.0.0.1:3000');
    assert.equal(config.RATE_LIMIT_REDIRECT_MAX, 6000);
    assert.equal(config.BATCH_BODY_LIMIT, '2mb');
    assert.equal(config.SSE_HEARTBEAT_MS, 15_000);
  });

  it('takes the public base URL without a trailing slash, and only http(s)', () => {
    assert.equal(service.loadConfig({ PUBLIC_BASE_URL: 'https://shop.example/' }).PUBLIC_BASE_URL, 'https://shop.example');
    assert.throws(() => service.loadConfig({ PUBLIC_BASE_URL: 'ftp://shop.example' }), /PUBLIC_BASE_URL/);
  });

  it('refuses to start naming each bad variable', () => {
    assert.throws(
      () => service.loadConfig({ RATE_LIMIT_AUTH_MAX: 'lots', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', BODY_LIMIT: '1gb' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        ['RATE_LIMIT_AUTH_MAX', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'BODY_LIMIT'].every((name) => err.message.includes(name)),
    );
  });

  it('demands the Dapr tokens when REQUIRE_DAPR_TOKENS is on', () => {
    assert.throws(() => service.loadConfig({ REQUIRE_DAPR_TOKENS: 'true' }), /DAPR_API_TOKEN/);
  });
});
