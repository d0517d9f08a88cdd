/**
 * One HTTP/1.1 exchange with the app's own sidecar over kept-alive connections
 * (node:http), for the calls on request paths: service invocation, state and publish
 * (a redirect reads the link cache and its click is published). Node's fetch cost about
 * twice the CPU per call (a WHATWG Request, Headers, body stream and AbortSignal each
 * time). The client span is made here and carries the trace context, as the fetch
 * instrumentation did: OpenTelemetry's HTTP instrumentation leaves these calls alone
 * (tracing.ts): it binds the request and its response to the span's context, wrapping
 * every listener, and with the server span it cost about twice what the kit's two spans
 * cost now (docs/performance.md, *What tracing costs*).
 */
import http from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { markOwnClientSpans } from './own-client-spans.ts';

/**
 * Connections to the sidecar stay open between calls; each of a caller's parallel calls
 * gets its own. One idle for 4 s is closed from this side (fetch's default too), so a
 * sidecar closing an idle connection cannot race a new call onto it; a call in flight is
 * not affected (its deadline is the timer below).
 */
const agent = new http.Agent({ keepAlive: true, timeout: 4_000 });
markOwnClientSpans(agent);

/** The instrumentation scope of these client spans, as Jaeger shows it in `otel.scope.name`. */
export const SIDECAR_CALL_SCOPE = '@meshmart/kit/sidecar-http';

export interface SidecarExchange {
  status: number;
  headers: Headers;
  text: string;
}

/** Like fetch's: the deadline passed before the whole answer came back. */
class SidecarTimeout extends Error {
  override name = 'TimeoutError';
}

export function sidecarExchange(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<SidecarExchange> {
  const active = context.active();
  // A traceparent the caller sets (a stored event's, published outside the request that
  // made it) is the trace the call belongs to. A suppressed context (the relays' and other
  // loops' untraced passes) makes no span and leaves the headers as they are.
  const parent = init.headers.traceparent ? propagation.extract(active, init.headers) : active;
  let span = isTracingSuppressed(active)
    ? undefined
    : trace
        .getTracer(SIDECAR_CALL_SCOPE)
        .startSpan(
          init.method,
          { kind: SpanKind.CLIENT, attributes: { 'http.request.method': init.method, 'url.full': url } },
          parent,
        );
  const sent = { ...init.headers };
  if (span) propagation.inject(trace.setSpan(parent, span), sent);
  /** Ends the span once: a timeout also destroys the request, which then reports an error. */
  const ended = (status: number | undefined, error?: Error) => {
    if (!span) return;
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    // On a client span a 4xx is an error too (OpenTelemetry's HTTP conventions).
    if (error || (status !== undefined && status >= 400)) {
      span.setAttribute('error.type', error ? ((error as NodeJS.ErrnoException).code ?? error.name) : String(status));
      span.setStatus({ code: SpanStatusCode.ERROR, ...(error && { message: error.message }) });
    }
    span.end();
    span = undefined;
  };
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = http.request(url, { method: init.method, headers: sent, agent }, answered);
    } catch (err) {
      // A header or URL Node refuses throws here, before any event could end the span.
      ended(undefined, err as Error);
      reject(err);
      return;
    }
    function answered(res: http.IncomingMessage) {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        ended(res.statusCode);
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    }
    const timer = setTimeout(() => {
      const timeout = new SidecarTimeout(`no answer from the sidecar within ${init.timeoutMs} ms`);
      ended(undefined, timeout);
      reject(timeout);
      req.destroy();
    }, init.timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      ended(undefined, err);
      reject(err);
    }
    req.on('error', fail);
    req.end(init.body);
  });
}
