import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { UsersInternalServiceClient, UsersInternalServiceService } from '@meshmart/proto/users/v1/users';
import { createApp, finishApp } from '../src/app.ts';
import { createGrpcServer, GrpcError, unary } from '../src/grpc.ts';
import { createLogger } from '../src/logging.ts';
import { type RunningServer, serve } from '../src/server.ts';

const TOKEN = 'app-token-for-tests';

describe('app factory and shared port (real servers)', () => {
  let server: RunningServer;
  let base: string;
  const logger = createLogger('kit-test', 'error');
  let probes = 0;

  before(async () => {
    const service = createApp({
      service: 'kit-test',
      logger,
      bodyLimit: '1kb',
      appToken: TOKEN,
      onSidecarProbe: () => {
        probes += 1;
      },
    });
    service.router.post('/echo', (ctx) => {
      ctx.body = { got: ctx.state.body };
    });
    service.router.get('/boom', () => {
      throw new Error('secret internals');
    });
    const grpcServer = createGrpcServer({ logger, appToken: TOKEN });
    grpcServer.addService(UsersInternalServiceService, {
      async getUser(call: grpc.ServerUnaryCall<{ userId: string }, unknown>) {
        if (call.request.userId === 'missing') throw new GrpcError(grpc.status.NOT_FOUND, 'no such user');
        return { user: { id: call.request.userId, email: 'a@b.co', displayName: 'A', roles: [], createdAt: '' } };
      },
    });
    server = await serve(finishApp(service), {
      port: 0,
      host: '127.0.0.1',
      logger,
      grpcServer: grpcServer.server,
      handleSignals: false,
    });
    base = `http://127.0.0.1:${server.port}`;
  });

  after(() => server.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'dapr-api-token': TOKEN, ...headers },
    });

  it('answers the probes and metrics without a token', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /meshmart_process_resident_memory_bytes/);
  });

  it("tells its sidecar's health probe from kubelet's, both without a token", async () => {
    const before = probes;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal(probes, before, "kubelet's /healthz is not the sidecar's probe");
    assert.equal((await fetch(`${base}/healthz/sidecar`)).status, 200);
    assert.equal(probes, before + 1);
  });

  it('refuses calls that did not come through the sidecar', async () => {
    const res = await fetch(`${base}/echo`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('echoes a request id or makes one', async () => {
    const res = await post('/echo', '{"a":1}', { 'x-request-id': 'req-123' });
    assert.equal(res.headers.get('x-request-id'), 'req-123');
    assert.deepEqual(await res.json(), { got: { a: 1 } });
    const fresh = await post('/echo', '{}');
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON, oversize bodies and wrong media types with problems', async () => {
    const malformed = await post('/echo', '{"a":');
    assert.equal(malformed.status, 400);
    assert.match(((await malformed.json()) as { detail: string }).detail, /malformed JSON/);
    const big = await post('/echo', JSON.stringify({ pad: 'x'.repeat(4096) }));
    assert.equal(big.status, 413);
    const text = await post('/echo', 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
  });

  it('hides internals of unexpected errors behind a 500 problem', async () => {
    const res = await fetch(`${base}/boom`, { headers: { 'dapr-api-token': TOKEN } });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { detail: string };
    assert.doesNotMatch(JSON.stringify(body), /secret internals/);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await fetch(`${base}/nope`, { headers: { 'dapr-api-token': TOKEN } });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { status: number }).status, 404);
  });

  it('serves gRPC on the same port as HTTP, with the app token', async () => {
    const client = new UsersInternalServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const md = new grpc.Metadata();
      md.set('dapr-api-token', TOKEN);
      const res = await new Promise<{ user?: { id: string } }>((resolve, reject) =>
        client.getUser({ userId: 'u1', addressId: '' }, md, (err, r) => (err ? reject(err) : resolve(r))),
      );
      assert.equal(res.user?.id, 'u1');
      await assert.rejects(
        unary(client.getUser.bind(client), { userId: 'u1', addressId: '' }),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED,
      );
      const missing = new Promise((resolve, reject) =>
        client.getUser({ userId: 'missing', addressId: '' }, md, (err, r) => (err ? reject(err) : resolve(r))),
      );
      await assert.rejects(missing, (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });
});
