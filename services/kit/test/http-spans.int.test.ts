/**
 * The kit's own HTTP spans, on a real kit server with the SDK's real export path. The
 * sidecar here is a stand-in HTTP server, because what is checked is what the app sends
 * it (the trace context in its headers), which a real daprd would pass on rather than
 * show; the e2e trace tests find the same spans through real sidecars, in Jaeger.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { context, type ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createApp, finishApp } from '../src/app.ts';
import { SERVER_SPAN_SCOPE } from '../src/http-server-span.ts';
import { createLogger } from '../src/logging.ts';
import { type RunningServer, serve } from '../src/server.ts';
import { SIDECAR_CALL_SCOPE, sidecarExchange } from '../src/sidecar-http.ts';
import { startTracing, stopTracing } from '../src/tracing.ts';
import { KeepingExporter } from './keeping-exporter.ts';

const TRACE = 'eabd61fb26580e5eeeb34f050d3898ad';
const CALLER = '285ffe0d6721ee6c';
const traceparent = `00-${TRACE}-${CALLER}-01`;

describe("the kit's server and sidecar-call spans (real servers, the SDK's own export path)", () => {
  const logger = createLogger('kit-test', 'error');
  // The 500 route's error line is expected; the assertions say what matters.
  logger.silent = true;
  let exporter: KeepingExporter;
  let app: RunningServer;
  let upstream: http.Server;
  let base: string;
  let upstreamUrl: string;
  /** What the stand-in sidecar was sent: one entry per call, its traceparent header. */
  let received: Array<string | undefined>;

  before(async () => {
    exporter = new KeepingExporter();
    await startTracing('kit-test', { traceExporter: exporter });
    upstream = http.createServer((req, res) => {
      received.push(req.headers.traceparent as string | undefined);
      if (req.url === '/hang') return;
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const call = (path: string) => sidecarExchange(`${upstreamUrl}${path}`, { method: 'GET', headers: {}, timeoutMs: 2000 });
    const service = createApp({
      service: 'kit-test',
      logger,
      readiness: [{ name: 'sidecar', check: async () => void (await call('/healthz')) }],
    });
    service.router.get('/things/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    service.router.get('/boom', () => {
      throw new Error('broken');
    });
    service.router.get('/calls/:path', async (ctx) => {
      ctx.body = { status: (await call(`/${ctx.params.path}`)).status };
    });
    service.router.get('/slow-body', (ctx) => {
      const body = new Readable({ read() {} });
      body.push('first part, ');
      setTimeout(() => body.push(null), 150);
      ctx.body = body;
    });
    app = await serve(finishApp(service), { port: 0, host: '127.0.0.1', logger, handleSignals: false });
    base = `http://127.0.0.1:${app.port}`;
  });

  after(async () => {
    await stopTracing();
    await app.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  /**
   * Sends the requests and hands back the spans exported meanwhile, once `expected` of
   * them are: a server span ends on the answer's 'close', which can come just after the
   * client has read it. With none expected it waits a moment, then looks.
   */
  async function spansOf(send: () => Promise<unknown>, expected: number): Promise<ReadableSpan[]> {
    received = [];
    const before = exporter.spans.length;
    await send();
    const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as unknown as {
      forceFlush(): Promise<void>;
    };
    const deadline = Date.now() + (expected === 0 ? 200 : 5000);
    do {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await provider.forceFlush();
    } while (exporter.spans.length - before < Math.max(expected, 1) && Date.now() < deadline);
    return exporter.spans.slice(before);
  }

  /** The test's own request makes no span: only the app's are looked at. */
  const get = (path: string, headers: Record<string, string> = {}) =>
    context.with(suppressTracing(context.active()), async () => {
      const res = await fetch(`${base}${path}`, { headers });
      await res.text();
      return res.status;
    });
  const scope = (span: ReadableSpan) => span.instrumentationScope.name;

  it("joins the caller's trace in one server span named after the route, with what trace views read", async () => {
    const spans = await spansOf(() => get('/things/42', { traceparent }), 1);
    assert.equal(spans.length, 1, spans.map((s) => s.name).join(', '));
    const [span] = spans as [ReadableSpan];
    assert.equal(scope(span), SERVER_SPAN_SCOPE);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.name, 'GET /things/:id');
    assert.equal(span.spanContext().traceId, TRACE);
    assert.equal(span.parentSpanContext?.spanId, CALLER);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(
      {
        method: span.attributes['http.request.method'],
        path: span.attributes['url.path'],
        route: span.attributes['http.route'],
        status: span.attributes['http.response.status_code'],
      },
      { method: 'GET', path: '/things/42', route: '/things/:id', status: 200 },
    );
    assert.equal(span.attributes['server.address'], '127.0.0.1');
    assert.equal(span.attributes['server.port'], app.port);
  });

  it('reads the server address from a Host header with an IPv6 literal, and one without a port', async () => {
    const send = (host: string) =>
      context.with(
        suppressTracing(context.active()),
        () =>
          new Promise<void>((resolve, reject) => {
            http.get(`${base}/things/1`, { headers: { host } }, (res) => res.resume().on('end', resolve)).on('error', reject);
          }),
      );
    const spans = await spansOf(async () => {
      await send('[::1]:8080');
      await send('shop.example');
    }, 2);
    assert.deepEqual(
      spans.map((s) => [s.attributes['server.address'], s.attributes['server.port']]),
      [
        ['::1', 8080],
        ['shop.example', undefined],
      ],
    );
  });

  it('marks a 5xx an error and leaves a 4xx (the client’s) unset; an unmatched path keeps the bare method', async () => {
    const spans = await spansOf(async () => {
      assert.equal(await get('/boom'), 500);
      assert.equal(await get('/nowhere'), 404);
    }, 2);
    const boom = spans.find((s) => s.attributes['url.path'] === '/boom');
    const nowhere = spans.find((s) => s.attributes['url.path'] === '/nowhere');
    assert.equal(boom?.status.code, SpanStatusCode.ERROR);
    assert.equal(boom?.attributes['error.type'], '500');
    assert.equal(nowhere?.status.code, SpanStatusCode.UNSET);
    assert.equal(nowhere?.name, 'GET');
    assert.equal(nowhere?.attributes['http.route'], undefined);
  });

  it('lasts until a streamed body is written', async () => {
    const [span] = await spansOf(() => get('/slow-body'), 1);
    const ms = (span?.duration[0] ?? 0) * 1000 + (span?.duration[1] ?? 0) / 1e6;
    assert.ok(ms >= 140, `the span lasted ${ms} ms of a 150 ms body`);
  });

  it('traces neither the probes nor what their checks call', async () => {
    const spans = await spansOf(async () => {
      assert.equal(await get('/readyz'), 200);
      assert.equal(await get('/healthz'), 200);
      assert.equal(await get('/metrics'), 200);
    }, 0);
    assert.deepEqual(
      spans.map((s) => s.name),
      [],
    );
    assert.deepEqual(received, [undefined], 'the readiness check reached the sidecar without trace context');
  });

  it("makes a handler's sidecar call a client span inside the request's span, and hands the sidecar its context", async () => {
    const spans = await spansOf(async () => {
      assert.equal(await get('/calls/found', { traceparent }), 200);
      assert.equal(await get('/calls/missing', { traceparent }), 200);
    }, 4);
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    assert.equal(server.length, 2);
    assert.equal(clients.length, 2);
    for (const client of clients) {
      assert.equal(scope(client), SIDECAR_CALL_SCOPE);
      assert.equal(client.name, 'GET');
      assert.equal(client.spanContext().traceId, TRACE);
      assert.ok(
        server.some((s) => s.spanContext().spanId === client.parentSpanContext?.spanId),
        'child of a server span',
      );
    }
    const sentIds = received.map((header) => header?.split('-')[2]);
    assert.deepEqual(sentIds.sort(), clients.map((c) => c.spanContext().spanId).sort(), 'the sidecar is told the client span');
    const missing = clients.find((c) => String(c.attributes['url.full']).endsWith('/missing'));
    assert.equal(missing?.attributes['http.response.status_code'], 404);
    assert.equal(missing?.status.code, SpanStatusCode.ERROR, 'on a client span a 4xx is an error');
  });

  it('puts a call that names its traceparent (a stored event published later) in that trace; a suppressed one (a relay pass) makes no span and passes the header on', async () => {
    const spans = await spansOf(async () => {
      await sidecarExchange(`${upstreamUrl}/publish`, { method: 'POST', headers: { traceparent }, timeoutMs: 2000 });
      await context.with(suppressTracing(context.active()), () =>
        sidecarExchange(`${upstreamUrl}/publish`, { method: 'POST', headers: { traceparent }, timeoutMs: 2000 }),
      );
    }, 1);
    assert.equal(spans.length, 1);
    const [publish] = spans as [ReadableSpan];
    assert.equal(publish.spanContext().traceId, TRACE);
    assert.equal(publish.parentSpanContext?.spanId, CALLER);
    assert.deepEqual(received, [`00-${TRACE}-${publish.spanContext().spanId}-01`, traceparent]);
  });

  it("ends a failed call's span once, as an error naming the failure", async () => {
    const gone = http.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const closedPort = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const spans = await spansOf(async () => {
      await assert.rejects(
        sidecarExchange(`http://127.0.0.1:${closedPort}/refused`, { method: 'GET', headers: {}, timeoutMs: 2000 }),
        /ECONNREFUSED/,
      );
      await assert.rejects(sidecarExchange(`${upstreamUrl}/hang`, { method: 'GET', headers: {}, timeoutMs: 100 }), {
        name: 'TimeoutError',
      });
    }, 2);
    assert.deepEqual(
      spans.map((s) => [String(s.attributes['url.full']).split('/').at(-1), s.status.code, s.attributes['error.type']]).sort(),
      [
        ['hang', SpanStatusCode.ERROR, 'TimeoutError'],
        ['refused', SpanStatusCode.ERROR, 'ECONNREFUSED'],
      ],
    );
  });

  it('leaves the calls to the sidecar to the kit and traces any other outgoing HTTP call with the instrumentation', async function () {
    this.timeout(30_000);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./outgoing-spans-probe.ts', import.meta.url))],
      { cwd: fileURLToPath(new URL('.', import.meta.url)) },
    );
    const spans = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as Array<{ scope: string; path: string }>;
    assert.deepEqual(spans.map((s) => `${s.scope} ${s.path}`).sort(), [
      `${SIDECAR_CALL_SCOPE} /through-the-kit`,
      '@opentelemetry/instrumentation-http /plain',
    ]);
  });
});
