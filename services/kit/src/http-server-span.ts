/**
 * The server span of every HTTP request an app serves, made here rather than by
 * OpenTelemetry's HTTP instrumentation, whose incoming side tracing.ts turns off. That
 * side binds each request and response to the span's context, so that every listener
 * Koa and its helpers add to them is wrapped in a closure, and works out some twenty
 * attributes from the request; on a GET /api/users/me that was about a third of the
 * CPU the gateway and users spent (docs/performance.md, *What tracing costs*). This
 * span carries what the trace views read (method, path, route, status) and runs the
 * request in its context, as the instrumentation did. Calls to the sidecar make their
 * own client span (sidecar-http.ts); the instrumentation's outgoing side makes the rest.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { SIDECAR_PROBE_PATH } from './deployment/sidecar.ts';

/**
 * What the probes and Prometheus call every few seconds: not traced (noise), and in the
 * app (app.ts) open without the app token and left out of the request metrics.
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', SIDECAR_PROBE_PATH, '/readyz', '/metrics']);

/** The instrumentation scope of these spans, as Jaeger shows it in `otel.scope.name`. */
export const SERVER_SPAN_SCOPE = '@meshmart/kit/http-server';

const spans = new WeakMap<IncomingMessage, Span>();

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query < 0 ? raw : raw.slice(0, query);
}

/** The Host header's name (an IPv6 literal without its brackets) and port, if it has one. */
function hostAndPort(header: string): { host: string; port: number | undefined } {
  const colon = header.lastIndexOf(':');
  const hasPort = colon > header.lastIndexOf(']') && /^\d+$/.test(header.slice(colon + 1));
  const name = hasPort ? header.slice(0, colon) : header;
  return {
    host: name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name,
    port: hasPort ? Number(header.slice(colon + 1)) : undefined,
  };
}

/** `listener` with a server span around each request but the untraced paths. */
export function withServerSpans(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url);
    // Nothing a probe's checks call (the sidecar, a database) starts a trace of its own either.
    if (PROBE_PATHS.has(path)) {
      context.with(suppressTracing(ROOT_CONTEXT), () => listener(req, res));
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    // Looked up per request, not kept: a tracer kept from before tracing restarted (tests) would be the old one's.
    const span = trace.getTracer(SERVER_SPAN_SCOPE).startSpan(method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      const { host, port } = hostAndPort(req.headers.host ?? '');
      span.setAttributes({
        'http.request.method': method,
        'url.path': path,
        'url.scheme': 'http',
        'network.protocol.version': req.httpVersion,
        'network.peer.address': req.socket.remoteAddress ?? '',
        ...(host && { 'server.address': host }),
        ...(port !== undefined && { 'server.port': port }),
        ...(req.headers['user-agent'] && { 'user_agent.original': req.headers['user-agent'] }),
      });
      spans.set(req, span);
    }
    // 'close' comes once the whole answer is written, or the client went away first (how
    // an event stream ends): the span covers the body, streamed or not.
    res.once('close', () => {
      const status = res.statusCode;
      span.setAttribute('http.response.status_code', status);
      // A 4xx is the client's error, not the server's (OpenTelemetry's HTTP conventions).
      if (status >= 500) {
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => listener(req, res));
  };
}

/** Names the request's server span after the route template that matched it, e.g. `GET /users/:id`. */
export function nameServerSpan(req: IncomingMessage, route: string): void {
  const span = spans.get(req);
  if (!span) return;
  span.updateName(`${req.method ?? 'GET'} ${route}`);
  span.setAttribute('http.route', route);
}
