/**
 * The trace of one request, read from the Jaeger query API and reduced to what a
 * waterfall shows: each span's service, layer (the app itself, its Dapr sidecar, a gRPC
 * call, a pub/sub delivery, a database statement), timing relative to the trace's start
 * and its error. Admin only: traces carry other users' requests.
 */
import type { RouterContext } from '@koa/router';
import type { traceView } from '@meshmart/contracts/traces';
import { problems } from '@meshmart/kit';
import { type JaegerSpan, type JaegerTrace, SIDECAR_SCOPE } from '@meshmart/kit/call-graph';
import type { z } from 'zod';
import type { GatewayState } from './access-control.ts';
import { routeInput } from './forward.ts';
import type { GatewayRoute } from './routes.ts';

export interface TraceDeps {
  /** Base URL of the Jaeger query API; unset, the route answers 503. */
  queryUrl: string | undefined;
  /** Where people open Jaeger's own UI, if there is one worth opening. */
  uiUrl: string | undefined;
  timeoutMs: number;
}

type TraceView = z.infer<typeof traceView>;
type Layer = TraceView['spans'][number]['layer'];

interface FullSpan extends JaegerSpan {
  duration: number;
}

type FullTrace = Omit<JaegerTrace, 'spans'> & { spans: FullSpan[] };

function tagMap(span: JaegerSpan): Map<string, unknown> {
  return new Map(span.tags.map((t) => [t.key, t.value]));
}

function layerOf(tags: Map<string, unknown>): Layer {
  if (tags.get('otel.scope.name') === SIDECAR_SCOPE) return tags.has('messaging.system') ? 'pubsub' : 'daprd';
  if (tags.has('db.system') || tags.has('db.system.name')) return 'db';
  if (tags.get('rpc.system') === 'grpc') return 'grpc';
  if (tags.has('messaging.system')) return 'pubsub';
  if (tags.has('http.method') || tags.has('http.request.method')) return 'http';
  return 'app';
}

/** One line on what the span did: the statement, topic, route or target it names. */
function detailOf(span: JaegerSpan, tags: Map<string, unknown>): string {
  const pick = (...keys: string[]) => keys.map((k) => tags.get(k)).find((v) => typeof v === 'string' && v !== '');
  const text =
    pick('db.statement', 'db.query.text', 'db.operation') ??
    pick('messaging.destination.name') ??
    pick('http.route', 'http.target', 'url.path', 'http.url', 'url.full') ??
    pick('rpc.method', 'net.peer.name') ??
    span.operationName;
  return String(text).slice(0, 200);
}

function errorOf(tags: Map<string, unknown>): string | null {
  const failed = tags.get('error') === true || tags.get('otel.status_code') === 'ERROR';
  if (!failed) return null;
  const description = tags.get('otel.status_description') ?? tags.get('error.type') ?? tags.get('http.status_code');
  return description === undefined ? 'error' : String(description);
}

/**
 * Koa's spans (one per middleware and router layer) say nothing about the mesh; their
 * children move up to the nearest kept span.
 */
function isNoise(tags: Map<string, unknown>): boolean {
  return tags.has('koa.type');
}

export function toTraceView(trace: FullTrace, uiUrl: string | undefined): TraceView {
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const tagsOf = new Map(trace.spans.map((s) => [s.spanID, tagMap(s)]));
  const parentOf = (span: JaegerSpan) => span.references?.find((r) => r.refType === 'CHILD_OF' && byId.has(r.spanID))?.spanID;
  const keptParent = (span: JaegerSpan): string | null => {
    let id = parentOf(span);
    while (id !== undefined) {
      const parent = byId.get(id);
      if (!parent) return null;
      if (!isNoise(tagsOf.get(id) ?? new Map())) return id;
      id = parentOf(parent);
    }
    return null;
  };
  const kept = trace.spans.filter((s) => !isNoise(tagsOf.get(s.spanID) ?? new Map()));
  const children = new Map<string | null, FullSpan[]>();
  for (const span of kept) {
    const parent = keptParent(span);
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  // Depth first, siblings by start: each call sits under the span that made it.
  const ordered: Array<{ span: FullSpan; parentId: string | null }> = [];
  const visit = (parentId: string | null) => {
    for (const span of (children.get(parentId) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      ordered.push({ span, parentId });
      visit(span.spanID);
    }
  };
  visit(null);
  const spans = ordered.map(({ span, parentId }) => {
    const tags = tagsOf.get(span.spanID) ?? new Map();
    return {
      id: span.spanID,
      parentId,
      service: trace.processes[span.processID]?.serviceName ?? 'unknown',
      name: span.operationName,
      layer: layerOf(tags),
      kind: String(tags.get('span.kind') ?? 'internal'),
      startMs: (span.startTime - start) / 1000,
      durationMs: span.duration / 1000,
      error: errorOf(tags),
      detail: detailOf(span, tags),
    };
  });
  return {
    traceId: trace.traceID,
    jaegerUiUrl: uiUrl ? `${uiUrl.replace(/\/+$/, '')}/trace/${trace.traceID}` : null,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    durationMs: Math.max(0, ...spans.map((s) => s.startMs + s.durationMs)),
    spans,
  };
}

export function traceHandler(route: GatewayRoute, deps: TraceDeps) {
  return async (ctx: RouterContext<GatewayState>) => {
    const { params } = routeInput(route, ctx);
    if (!deps.queryUrl) throw problems.unavailable('no trace store is configured (JAEGER_QUERY_URL)');
    const url = `${deps.queryUrl.replace(/\/+$/, '')}/api/traces/${String(params.traceId)}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(deps.timeoutMs) });
    } catch (err) {
      throw problems.unavailable('the trace store cannot be reached', err);
    }
    if (response.status === 404) {
      throw problems.notFound(`trace ${String(params.traceId)} is not in the trace store (yet: spans arrive within a second)`);
    }
    if (!response.ok) throw problems.unavailable(`the trace store answered ${response.status}`);
    const body = (await response.json()) as { data?: FullTrace[] };
    const trace = body.data?.[0];
    if (!trace || trace.spans.length === 0) throw problems.notFound(`trace ${String(params.traceId)} has no spans`);
    ctx.set('cache-control', 'no-store');
    ctx.body = toTraceView(trace, deps.uiUrl);
  };
}
