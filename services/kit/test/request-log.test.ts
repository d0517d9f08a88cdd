import assert from 'node:assert/strict';
import { createApp, finishApp } from '../src/app.ts';
import { serve } from '../src/server.ts';
import { collectingLogger } from './collecting-logger.ts';

/** The entries an app logged while answering one GET /hello, with its logger at `level`. */
async function loggedFor(level: string): Promise<Array<Record<string, unknown>>> {
  const { logger, logged } = collectingLogger('kit-request-log-test', level);
  const service = createApp({ service: 'kit-request-log-test', logger });
  service.router.get('/hello', (ctx) => {
    ctx.body = { hello: 'world' };
  });
  const server = await serve(finishApp(service), { port: 0, host: '127.0.0.1', logger, handleSignals: false });
  try {
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/hello`)).status, 200);
  } finally {
    await server.close();
  }
  return logged.filter((entry) => entry.message === 'request');
}

describe('request log', () => {
  it('logs each request with its route, status and duration at LOG_LEVEL=http', async () => {
    const [entry, ...more] = await loggedFor('http');
    assert.equal(more.length, 0);
    assert.equal(entry?.route, '/hello');
    assert.equal(entry?.status, '200');
    assert.equal(typeof entry?.duration_ms, 'number');
  });

  it('logs no request line at the default level', async () => {
    assert.deepEqual(await loggedFor('info'), []);
  });
});
