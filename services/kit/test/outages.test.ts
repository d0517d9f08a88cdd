/**
 * The outage classifier against the errors the drivers really raise: refused, reset and
 * silent sockets on loopback servers this file starts, pg's own pool errors, and a
 * sidecar answering the way daprd does when its store or broker is down.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import Router from '@koa/router';
import pg from 'pg';
import { createApp, finishApp } from '../src/app.ts';
import { Sidecar } from '../src/dapr.ts';
import { Problem, problems } from '../src/errors.ts';
import { problemFromGrpc } from '../src/grpc.ts';
import {
  capability,
  classifyOutage,
  mentionsInternals,
  OUTAGE_RETRY_AFTER_SECONDS,
  problemFor,
  SidecarError,
} from '../src/outages.ts';
import { type RunningServer, serve } from '../src/server.ts';
import { collectingLogger } from './collecting-logger.ts';

const CAPABILITY = 'checkout';

/** A TCP server on loopback that treats each connection as `onSocket` says. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = await tcpServer(() => {});
  await probe.close();
  return probe.port;
}

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

function assertOutageProblem(err: unknown, label: string): void {
  assert.ok(classifyOutage(err), `${label}: classified as an outage`);
  const problem = problemFor(err, CAPABILITY);
  assert.equal(problem.status, 503, label);
  assert.equal(problem.headers['retry-after'], String(OUTAGE_RETRY_AFTER_SECONDS), label);
  const detail = problem.detail ?? '';
  assert.match(detail, /^checkout is unavailable/, label);
  assert.ok(!detail.includes('127.0.0.1'), `${label}: ${detail}`);
  assert.ok(!/ECONN/.test(detail), `${label}: ${detail}`);
  assert.ok(!/\d{2,5}/.test(detail), `${label}: no port in ${detail}`);
  assert.ok(!mentionsInternals(JSON.stringify(problem.toBody('/api/orders'))), label);
}

describe('outage classification', () => {
  const pools: pg.Pool[] = [];
  const pool = (port: number, options: pg.PoolConfig = {}) => {
    const p = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', password: 'x', ...options });
    p.on('error', () => {});
    pools.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
  });

  describe('each class of failure becomes a 503 naming the capability', () => {
    it('a refused connection (fetch and pg)', async () => {
      const port = await closedPort();
      const fetched = await rejection(() => fetch(`http://127.0.0.1:${port}/`));
      assert.match(String((fetched as Error).cause), /ECONNREFUSED/, 'the raw error does name the address');
      assertOutageProblem(fetched, 'fetch refused');
      assertOutageProblem(await rejection(() => pool(port).query('SELECT 1')), 'pg refused');
    });

    it('a connection reset mid-response (undici socket error) and a peer that closes at once (pg)', async () => {
      const rude = await tcpServer((socket) => socket.once('data', () => socket.destroy()));
      try {
        const fetched = await rejection(() => fetch(`http://127.0.0.1:${rude.port}/`));
        assertOutageProblem(fetched, 'fetch reset');
        const terminated = await rejection(() => pool(rude.port).query('SELECT 1'));
        assert.match((terminated as Error).message, /Connection terminated/);
        assertOutageProblem(terminated, 'pg terminated');
      } finally {
        await rude.close();
      }
    });

    it('timeouts: a silent server behind fetch, and pg pool exhaustion', async () => {
      const silent = await tcpServer(() => {});
      try {
        const fetched = await rejection(() => fetch(`http://127.0.0.1:${silent.port}/`, { signal: AbortSignal.timeout(50) }));
        assert.equal((fetched as Error).name, 'TimeoutError');
        assertOutageProblem(fetched, 'fetch timeout');
        // One slot, taken by a connect that never completes: the second query waits for
        // the pool and gives up, which is what an exhausted pool looks like.
        const one = pool(silent.port, { max: 1, connectionTimeoutMillis: 150 });
        const [connecting, waiting] = await Promise.all([
          rejection(() => one.query('SELECT 1')),
          rejection(() => one.query('SELECT 1')),
        ]);
        assert.match((connecting as Error).message, /Connection terminated due to connection timeout/);
        assertOutageProblem(connecting, 'pg connect timeout');
        assert.match((waiting as Error).message, /timeout exceeded when trying to connect/);
        assertOutageProblem(waiting, 'pg pool exhausted');
      } finally {
        await silent.close();
      }
    });

    it('service invocation through a sidecar that refuses, resets or stays silent: 503, 503, 504', async () => {
      const invoke = (port: number) =>
        rejection(() => new Sidecar({ daprHttpPort: port, timeoutMs: 50 }).invoke('users', 'me')) as Promise<Problem>;
      const refused = await invoke(await closedPort());
      assert.equal(refused.status, 503);
      assert.equal(refused.detail, 'users is unavailable: the Dapr sidecar cannot be reached');
      const rude = await tcpServer((socket) => socket.once('data', () => socket.destroy()));
      const silent = await tcpServer(() => {});
      try {
        const reset = await invoke(rude.port);
        assert.equal(reset.status, 503);
        assert.equal(reset.detail, 'users is unavailable: the Dapr sidecar cannot be reached');
        const slow = await invoke(silent.port);
        assert.equal(slow.status, 504);
        assert.equal(slow.detail, 'users did not answer within 50 ms');
      } finally {
        await rude.close();
        await silent.close();
      }
    });

    it('state calls and publish through a sidecar that refuses, resets or stays silent: outages, never refusals', async () => {
      const rude = await tcpServer((socket) => socket.once('data', () => socket.destroy()));
      const silent = await tcpServer(() => {});
      try {
        for (const [label, port] of [
          ['refused', await closedPort()],
          ['reset', rude.port],
          ['silent', silent.port],
        ] as const) {
          const sidecar = new Sidecar({ daprHttpPort: port, timeoutMs: 50 });
          const read = await rejection(() => sidecar.getState('statestore', 'k'));
          const publish = await rejection(() => sidecar.publish('pubsub', 'topic', {}));
          for (const [call, err] of [
            ['state get', read],
            ['publish', publish],
          ] as const) {
            // A SidecarError is the sidecar refusing the request, which the outbox relay
            // would hold against the row; a dead or silent sidecar is not the row's fault.
            assert.ok(!(err instanceof SidecarError), `${call}, ${label}: not a refusal`);
            // The facade may already have chosen the 503 (a Problem); otherwise the error
            // must be one the kit classifies as an outage.
            if (err instanceof Problem) assert.equal(err.status, 503, `${call}, ${label}`);
            else assertOutageProblem(err, `${call}, ${label}`);
          }
        }
      } finally {
        await rude.close();
        await silent.close();
      }
    });

    it('pg server errors of class 08, 57P01..57P03 and 53300', () => {
      for (const code of ['08006', '08001', '57P01', '57P02', '57P03', '53300']) {
        const err = Object.assign(new pg.DatabaseError('terminating connection due to administrator command', 0, 'error'), {
          code,
        });
        assertOutageProblem(err, `SQLSTATE ${code}`);
      }
    });

    it('a sidecar whose store or broker is down (5xx with ERR_STATE_GET / ERR_STATE_SAVE / publish)', async () => {
      const daprd: Server = createServer((req, res) => {
        const errorCode = req.url?.startsWith('/v1.0/publish')
          ? 'ERR_PUBSUB_PUBLISH_MESSAGE'
          : req.method === 'GET'
            ? 'ERR_STATE_GET'
            : 'ERR_STATE_SAVE';
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errorCode, message: 'dial tcp 127.0.0.1:16379: connect: connection refused' }));
      });
      await new Promise<void>((resolve) => daprd.listen(0, '127.0.0.1', resolve));
      try {
        const sidecar = new Sidecar({ daprHttpPort: (daprd.address() as AddressInfo).port });
        const got = await rejection(() => sidecar.getState('statestore', 'k'));
        assert.ok(got instanceof SidecarError && got.errorCode === 'ERR_STATE_GET');
        assertOutageProblem(got, 'state get');
        const saved = await rejection(() => sidecar.saveState('statestore', { key: 'k', value: 1 }));
        assert.ok(saved instanceof SidecarError && saved.errorCode === 'ERR_STATE_SAVE');
        assertOutageProblem(saved, 'state save');
        const published = await rejection(() => sidecar.publish('pubsub', 'topic', {}));
        assert.ok(published instanceof SidecarError && published.errorCode === 'ERR_PUBSUB_PUBLISH_MESSAGE');
        assertOutageProblem(published, 'publish');
      } finally {
        await new Promise<void>((resolve) => daprd.close(() => resolve()));
      }
    });

    it('a gRPC peer that is unavailable, and its address stays out of the problem', () => {
      const err = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
        code: grpc.status.UNAVAILABLE,
        details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50012',
        metadata: new grpc.Metadata(),
      });
      assertOutageProblem(err, 'grpc unavailable');
      const fromGrpc = problemFromGrpc(err, 'links');
      assert.equal(fromGrpc.status, 503);
      assert.ok(!mentionsInternals(fromGrpc.detail ?? ''), fromGrpc.detail);
    });

    it('daprd’s gRPC proxy finding no sidecar for the callee (UNKNOWN), but not any UNKNOWN', () => {
      const grpcError = (details: string) =>
        Object.assign(new Error(`2 UNKNOWN: ${details}`), { code: grpc.status.UNKNOWN, details, metadata: new grpc.Metadata() });
      const noCallee = grpcError('no host found with the given ID');
      assertOutageProblem(noCallee, 'dapr proxy without callee');
      assert.equal(problemFromGrpc(noCallee, 'users').status, 503);
      const bug = grpcError('handler threw');
      assert.equal(classifyOutage(bug), undefined);
      assert.equal(problemFromGrpc(bug, 'users').status, 502);
    });
  });

  describe('what is not an outage', () => {
    it('an ordinary error is a 500 that tells nothing', () => {
      const err = new Error('relation "users" does not exist at 127.0.0.1:21432');
      assert.equal(classifyOutage(err), undefined);
      const problem = problemFor(err, CAPABILITY);
      assert.equal(problem.status, 500);
      assert.equal(problem.detail, 'an unexpected error occurred');
      assert.equal(problem.headers['retry-after'], undefined);
    });

    it('a sidecar refusing the request (4xx) and a constraint violation are not outages', () => {
      assert.equal(classifyOutage(new SidecarError('state GET failed: 400', 400, 'ERR_MALFORMED_REQUEST')), undefined);
      assert.equal(classifyOutage(Object.assign(new Error('duplicate key'), { code: '23505' })), undefined);
      assert.equal(problemFor(new SidecarError('state GET failed: 400', 400, undefined)).status, 500);
    });

    it('a Problem passes through unchanged', () => {
      const notFound = problems.notFound('no order 42');
      assert.equal(problemFor(notFound, CAPABILITY), notFound);
      const unavailable = problems.unavailable('the catalog database cannot be reached');
      assert.equal(problemFor(unavailable), unavailable, 'without a capability, a 503 keeps its words');
    });

    it('a 503 problem on a route that names its capability says so, keeping the upstream Retry-After', () => {
      const upstream = problems.unavailable('users is unavailable (500 from the Dapr sidecar)', undefined, 9);
      const problem = problemFor(upstream, 'sign-in');
      assert.equal(problem.status, 503);
      assert.match(problem.detail ?? '', /^sign-in is unavailable/);
      assert.equal(problem.headers['retry-after'], '9');
    });

    it('a 5xx problem carrying an address loses it; a 503 without Retry-After gains one', () => {
      const leaky = problems.badGateway('links failed: connect ECONNREFUSED 127.0.0.1:24075');
      const clean = problemFor(leaky);
      assert.equal(clean.status, 502);
      assert.ok(!mentionsInternals(clean.detail ?? ''), clean.detail);
      const bare = new Problem(503, 'unavailable', 'Service unavailable', { detail: 'down' });
      assert.equal(problemFor(bare).headers['retry-after'], String(OUTAGE_RETRY_AFTER_SECONDS));
    });

    it('mentionsInternals catches addresses, ports and socket codes but not plain words', () => {
      for (const leak of ['connect ECONNREFUSED 127.0.0.1:21432', 'dial tcp [::1]:6379', 'localhost refused', 'port 5432 closed'])
        assert.ok(mentionsInternals(leak), leak);
      assert.ok(!mentionsInternals('checkout is unavailable right now; please retry shortly'));
    });
  });

  describe('wired into the app factory', () => {
    let server: RunningServer;
    let base: string;
    const { logger, logged } = collectingLogger('kit-outage-test', 'warn');

    before(async () => {
      const service = createApp({ service: 'kit-outage-test', logger });
      const refusedPort = await closedPort();
      const refused = () => new pg.Pool({ host: '127.0.0.1', port: refusedPort, user: 'x', database: 'x' });
      service.router.get('/orders', capability('your orders'), async () => {
        const p = refused();
        try {
          await p.query('SELECT 1');
        } finally {
          await p.end();
        }
      });
      const nested = new Router();
      nested.use(capability('checkout'));
      nested.post('/checkout', () => {
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      });
      service.router.use(nested.routes());
      service.router.get('/bug', () => {
        throw new Error('secret internals at 127.0.0.1:21432');
      });
      server = await serve(finishApp(service), { port: 0, host: '127.0.0.1', logger, handleSignals: false });
      base = `http://127.0.0.1:${server.port}`;
    });

    after(() => server?.close());

    it('answers a database outage with 503 problem+json, Retry-After and the route’s capability', async () => {
      const res = await fetch(`${base}/orders`, { headers: { 'x-request-id': 'req-outage-1' } });
      const text = await res.text();
      assert.equal(res.status, 503, text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(res.headers.get('retry-after'), String(OUTAGE_RETRY_AFTER_SECONDS));
      assert.match(JSON.parse(text).detail, /^your orders is unavailable/);
      assert.ok(!mentionsInternals(text), text);
      const entry = logged.find((e) => e.request_id === 'req-outage-1');
      assert.equal(entry?.level, 'warn', 'the cause is logged at warn with the request id');
      assert.match(JSON.stringify(entry), /ECONNREFUSED/, 'the log keeps the cause');
    });

    it('takes the capability from a router', async () => {
      const res = await fetch(`${base}/checkout`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { detail: string }).detail, /^checkout is unavailable/);
    });

    it('keeps unknown errors at 500 without internals', async () => {
      const res = await fetch(`${base}/bug`);
      const text = await res.text();
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('retry-after'), null);
      assert.ok(!mentionsInternals(text) && !text.includes('secret'), text);
    });
  });
});
