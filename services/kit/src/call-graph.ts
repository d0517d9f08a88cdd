/**
 * The call graph twice: as the topology declares it (what the cluster's
 * AuthorizationPolicies allow) and as Jaeger saw it. An edge seen but not declared is a
 * call Istio denies in the cluster although every local test passed; an edge declared
 * but never seen is an allowance nothing exercises.
 */
import { type CallKind, type ServiceName, type ServiceSpec, type Topic, services as topology } from './topology.ts';

export type EdgeKind = CallKind | 'pubsub';

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** Pub/sub edges only. */
  topic?: string;
}

export function edgeKey(edge: Edge): string {
  return `${edge.from} -> ${edge.to} (${edge.kind}${edge.topic ? ` ${edge.topic}` : ''})`;
}

/** Sorted, one entry per distinct edge. */
export function uniqueEdges(edges: Iterable<Edge>): Edge[] {
  const byKey = new Map<string, Edge>();
  for (const edge of edges) if (!byKey.has(edgeKey(edge))) byKey.set(edgeKey(edge), edge);
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, edge]) => edge);
}

export interface CallEdge {
  from: ServiceName;
  to: ServiceName;
  kind: CallKind;
}

/** Service invocations the topology allows, in topology order (one per `calls` entry). */
export function declaredCalls(services: readonly ServiceSpec[] = topology): CallEdge[] {
  return services.flatMap((s) => s.calls.map((c) => ({ from: s.name, to: c.to, kind: c.kind })));
}

/**
 * Who may invoke `callee` through Dapr, in topology order. Pub/sub subscribers are not
 * among them: their sidecars pull deliveries from the broker, nobody calls them.
 */
export function callersOf(services: readonly ServiceSpec[], callee: ServiceName): ServiceName[] {
  return [...new Set(declaredCalls(services).flatMap((e) => (e.to === callee ? [e.from] : [])))];
}

export interface PubsubEdge {
  from: ServiceName;
  to: ServiceName;
  kind: 'pubsub';
  topic: Topic;
}

/** Publisher → subscriber for every topic a service publishes and another subscribes to. */
export function declaredDeliveries(services: readonly ServiceSpec[] = topology): PubsubEdge[] {
  return services.flatMap((publisher) =>
    publisher.publishes.flatMap((topic) =>
      services
        .filter((s) => s.subscribes.includes(topic))
        .map((subscriber) => ({ from: publisher.name, to: subscriber.name, kind: 'pubsub' as const, topic })),
    ),
  );
}

/** Every edge the topology declares: calls, then pub/sub deliveries. */
export function declaredEdges(services: readonly ServiceSpec[] = topology): Edge[] {
  return uniqueEdges([...declaredCalls(services), ...declaredDeliveries(services)]);
}

export interface CallGraphDiff {
  /** Seen in traces, missing from the topology. */
  undeclared: Edge[];
  /** Declared, never seen and not excused. */
  unobserved: Edge[];
}

/**
 * Compares what was seen with what is declared. `excused` are declared edges a run is
 * not expected to exercise, by edgeKey; an excused edge that was seen is fine too.
 */
export function compareCallGraphs(
  observed: Iterable<Edge>,
  declared: Iterable<Edge>,
  excused: Iterable<string> = [],
): CallGraphDiff {
  const seen = uniqueEdges(observed);
  const allowed = uniqueEdges(declared);
  const seenKeys = new Set(seen.map(edgeKey));
  const allowedKeys = new Set(allowed.map(edgeKey));
  const excusedKeys = new Set(excused);
  return {
    undeclared: seen.filter((e) => !allowedKeys.has(edgeKey(e))),
    unobserved: allowed.filter((e) => !seenKeys.has(edgeKey(e)) && !excusedKeys.has(edgeKey(e))),
  };
}

/** The parts of Jaeger's query API answer (GET /api/traces) the derivation reads. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: Array<{ refType: string; traceID: string; spanID: string }>;
  processID: string;
  startTime: number;
  tags: Array<{ key: string; value: unknown }>;
}

export interface ObservedCallGraph {
  edges: Edge[];
  /**
   * Cross-service hops the derivation could not turn into an edge (a delivery whose
   * publishing span is not in the trace, a parent/child pair across services of a shape
   * it does not know), so that a blind spot is reported rather than passed over.
   */
  unexplained: string[];
}

/** Instrumentation scopes of the spans the kit makes itself: HTTP server spans, and client spans of calls to the sidecar. */
export { SERVER_SPAN_SCOPE } from './http-server-span.ts';
export { SIDECAR_CALL_SCOPE } from './sidecar-http.ts';

/** Instrumentation scope of the spans daprd emits. */
export const SIDECAR_SCOPE = 'dapr-diagnostics';

/**
 * Derives the cross-service edges from daprd's own spans, which every sidecar emits
 * whatever the app does (apps may not instrument a call, the sidecar always does):
 *
 * - HTTP service invocation: the caller's sidecar records a client span with
 *   `rpc.service: ServiceInvocation`, `dapr.protocol: http` and the target app id in
 *   `net.peer.name`; the callee's sidecar a server span (`CallLocal/<app>/<method>`)
 *   whose parent is that client span.
 * - gRPC proxying (`dapr-app-id` metadata): the caller's sidecar records a client span
 *   named after the full gRPC method with the `dapr-app-id` metadata as a tag; the
 *   callee's sidecar a server span with `dapr-caller-app-id` and `dapr-callee-app-id`.
 * - Pub/sub: the subscriber's sidecar records `pubsub/<topic>` (`messaging.system:
 *   pubsub`, `messaging.destination.name: <topic>`) as a child of the publisher's
 *   span, carried in the CloudEvent's traceparent.
 *
 * Any other parent/child pair across services is reported as unexplained. Both ends
 * of an invocation are read, so an edge is seen even when one side's span is
 * missing (a refused call still shows on the caller's side).
 */
export function observeCallGraph(traces: Iterable<JaegerTrace>): ObservedCallGraph {
  const edges: Edge[] = [];
  const unexplained = new Set<string>();
  for (const trace of traces) {
    const serviceOf = (span: JaegerSpan) => trace.processes[span.processID]?.serviceName ?? '?';
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const parentOf = (span: JaegerSpan) => {
      const ref = span.references?.find((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID);
      return ref ? { id: ref.spanID, span: byId.get(ref.spanID) } : undefined;
    };
    for (const span of trace.spans) {
      const tags = tagsOf(span);
      const service = serviceOf(span);
      const parent = parentOf(span);
      const where = `${service} span "${span.operationName}" in trace ${trace.traceID}`;
      const fromDapr = tags.get('otel.scope.name') === SIDECAR_SCOPE;
      const kind = tags.get('span.kind');

      if (fromDapr && tags.get('messaging.system') === 'pubsub' && span.operationName.startsWith('pubsub/')) {
        const topic = String(tags.get('messaging.destination.name') ?? span.operationName.slice('pubsub/'.length));
        if (parent?.span) edges.push({ from: serviceOf(parent.span), to: service, kind: 'pubsub', topic });
        else unexplained.add(`delivery of ${topic} to ${service} without its publishing span (${where})`);
        continue;
      }
      if (fromDapr && kind === 'client' && tags.get('rpc.service') === 'ServiceInvocation') {
        const target = tags.get('net.peer.name') ?? /^CallLocal\/([^/]+)\//.exec(span.operationName)?.[1];
        const protocol = tags.get('dapr.protocol') === 'grpc' ? 'grpc' : 'http';
        if (target !== undefined) edges.push({ from: service, to: String(target), kind: protocol });
        else unexplained.add(`service invocation without a target (${where})`);
        continue;
      }
      if (fromDapr && kind === 'client' && tags.has('dapr-app-id')) {
        edges.push({ from: service, to: String(tags.get('dapr-app-id')), kind: 'grpc' });
        continue;
      }
      if (fromDapr && kind === 'server' && tags.has('dapr-caller-app-id')) {
        const to = String(tags.get('dapr-callee-app-id') ?? service);
        edges.push({ from: String(tags.get('dapr-caller-app-id')), to, kind: 'grpc' });
        continue;
      }
      if (fromDapr && kind === 'server' && tags.get('rpc.service') === 'ServiceInvocation') {
        if (!parent) continue; // Called from outside any traced service.
        if (!parent.span) {
          unexplained.add(`invocation of ${service} whose calling span is not in the trace (${where})`);
          continue;
        }
        const caller = tagsOf(parent.span);
        const protocol = caller.get('dapr.protocol') === 'grpc' ? 'grpc' : 'http';
        if (serviceOf(parent.span) !== service) edges.push({ from: serviceOf(parent.span), to: service, kind: protocol });
        continue;
      }
      if (parent?.span && serviceOf(parent.span) !== service) {
        // The gRPC proxy hands the callee app the caller sidecar's trace context, so the
        // app's server span hangs off the caller's client span: the same proxied call.
        const via = tagsOf(parent.span);
        if (via.get('otel.scope.name') === SIDECAR_SCOPE && via.get('dapr-app-id') === service) {
          edges.push({ from: serviceOf(parent.span), to: service, kind: 'grpc' });
          continue;
        }
        unexplained.add(`${serviceOf(parent.span)} span "${parent.span.operationName}" is the parent of ${where}`);
      }
    }
  }
  return { edges: uniqueEdges(edges.filter((e) => e.from !== e.to)), unexplained: [...unexplained].sort() };
}

function tagsOf(span: JaegerSpan): Map<string, unknown> {
  return new Map(span.tags.map((t) => [t.key, t.value]));
}
