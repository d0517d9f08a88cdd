import assert from 'node:assert/strict';
import type pg from 'pg';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logging.ts';
import { outboxConfigSchema, startOutboxRelay } from '../src/outbox.ts';

describe('outbox parking setting', () => {
  it('defaults OUTBOX_MAX_ATTEMPTS to 10 and takes a valid value', () => {
    assert.equal(loadConfig(outboxConfigSchema, {}).OUTBOX_MAX_ATTEMPTS, 10);
    assert.equal(loadConfig(outboxConfigSchema, { OUTBOX_MAX_ATTEMPTS: '3' }).OUTBOX_MAX_ATTEMPTS, 3);
  });

  it('refuses a relay start with a bad value, naming the variable, before touching the database', () => {
    const untouchable = {
      connect() {
        throw new Error('the relay used the pool before checking its settings');
      },
    } as unknown as pg.Pool;
    const saved = process.env.OUTBOX_MAX_ATTEMPTS;
    try {
      for (const bad of ['0', 'ten', '1001']) {
        process.env.OUTBOX_MAX_ATTEMPTS = bad;
        assert.throws(
          () =>
            startOutboxRelay({
              pool: untouchable,
              publisher: { publish: async () => {} },
              logger: createLogger('outbox-test', 'error'),
            }),
          (err: unknown) => err instanceof ConfigError && /OUTBOX_MAX_ATTEMPTS/.test(err.message),
          bad,
        );
      }
    } finally {
      if (saved === undefined) delete process.env.OUTBOX_MAX_ATTEMPTS;
      else process.env.OUTBOX_MAX_ATTEMPTS = saved;
    }
  });
});
