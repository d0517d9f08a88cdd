import assert from 'node:assert/strict';
import {
  callersOf,
  compareCallGraphs,
  declaredEdges,
  edgeKey,
  type JaegerSpan,
  type JaegerTrace,
  observeCallGraph,
} from '../src/call-graph.ts';
import { services } from '../src/topology.ts';

/** A trace built the way Jaeger answers, with the span shapes daprd 1.17 emits. */
class TraceBuilder {
  readonly traceID = Math.random().toString(16).slice(2).padEnd(32, '0');
  private readonly spans: JaegerSpan[] = [];
  private readonly processes: Record<string, { serviceName: string }> = {};

  span(service: string, operationName: string, tags: Record<string, string>, parent?: string): string {
    const spanID = (this.spans.length + 1).toString(16).padStart(16, '0');
    this.processes[service] = { serviceName: service };
    this.spans.push({
      traceID: this.traceID,
      spanID,
      operationName,
      processID: service,
      startTime: 1,
      references: parent ? [{ refType: 'CHILD_OF', traceID: this.traceID, spanID: parent }] : [],
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    return spanID;
  }

  dapr(service: string, operationName: string, kind: 'client' | 'server', tags: Record<string, string>, parent?: string) {
    return this.span(service, operationName, { 'otel.scope.name': 'dapr-diagnostics', 'span.kind': kind, ...tags }, parent);
  }

  /** HTTP service invocation: caller's sidecar, then callee's CallLocal. */
  invokeHttp(from: string, to: string, method: string, parent?: string): string {
    const client = this.dapr(
      from,
      `CallLocal/${to}/${method}`,
      'client',
      { 'rpc.service': 'ServiceInvocation', 'dapr.protocol': 'http', 'net.peer.name': to },
      parent,
    );
    return this.dapr(
      to,
      `CallLocal/${to}/${method}`,
      'server',
      { 'rpc.service': 'ServiceInvocation', 'dapr.protocol': 'grpc' },
      client,
    );
  }

  /** gRPC proxying: caller's sidecar, callee's sidecar, and the callee app's span under the caller's. */
  invokeGrpc(from: string, to: string, method: string): void {
    const client = this.dapr(from, method, 'client', { 'dapr-app-id': to });
    this.dapr(to, method, 'server', { 'dapr-caller-app-id': from, 'dapr-callee-app-id': to }, client);
    this.span(
      to,
      `grpc.${method.slice(1)}`,
      { 'otel.scope.name': '@opentelemetry/instrumentation-grpc', 'span.kind': 'server' },
      client,
    );
  }

  publish(from: string, topic: string, subscribers: string[]): void {
    const published = this.dapr(from, `/v1.0/publish/pubsub/${topic}`, 'client', { 'messaging.system': 'pubsub' });
    for (const to of subscribers) this.deliver(to, topic, published);
  }

  deliver(to: string, topic: string, parent: string): void {
    this.dapr(to, `pubsub/${topic}`, 'client', { 'messaging.system': 'pubsub', 'messaging.destination.name': topic }, parent);
  }

  build(): JaegerTrace {
    return { traceID: this.traceID, spans: this.spans, processes: this.processes };
  }
}

const keys = (edges: Parameters<typeof edgeKey>[0][]) => edges.map(edgeKey);

describe('call graph', () => {
  describe('declared by the topology', () => {
    it('has every call and one pub/sub edge per publisher and subscriber of a topic', () => {
      const declared = keys(declaredEdges());
      for (const key of [
        'gateway -> links (grpc)',
        'orders -> users (grpc)',
        'orders -> users (http)',
        'catalog -> users (http)',
        'orders -> inventory (pubsub order.cancelled)',
        'orders -> inventory (grpc)',
        'inventory -> catalog (pubsub inventory.stock_changed)',
        'catalog -> inventory (pubsub product.created)',
        'orders -> notifications (pubsub order.cancelled)',
        'orders -> analytics (pubsub order.cancelled)',
        'qr -> analytics (pubsub qr.generated)',
      ]) {
        assert.ok(declared.includes(key), key);
      }
      assert.equal(new Set(declared).size, declared.length);
      assert.ok(!declared.some((k) => k.includes('-> gateway')), 'nothing calls or delivers to the gateway');
    });

    it('gives the callers the AuthorizationPolicies allow: invocations only, no subscribers', () => {
      assert.deepEqual(callersOf(services, 'users'), [
        'gateway',
        'catalog',
        'orders',
        'notifications',
        'analytics',
        'search',
        'inventory',
      ]);
      assert.deepEqual(callersOf(services, 'inventory'), ['gateway', 'orders']);
      assert.deepEqual(callersOf(services, 'payments'), ['orders']);
      // analytics subscribes to every topic, yet only the gateway invokes it.
      assert.deepEqual(callersOf(services, 'analytics'), ['gateway']);
      assert.deepEqual(callersOf(services, 'gateway'), []);
    });
  });

  describe('observed in traces', () => {
    it('reads HTTP invocation, gRPC proxying and pub/sub deliveries from the sidecars’ spans', () => {
      const trace = new TraceBuilder();
      const root = trace.span('gateway', 'POST /api/orders', { 'otel.scope.name': '@opentelemetry/instrumentation-http' });
      const orders = trace.invokeHttp('gateway', 'orders', 'orders', root);
      trace.invokeHttp('orders', 'payments', 'charges', orders);
      trace.invokeGrpc('orders', 'catalog', '/meshmart.catalog.v1.InventoryService/Reserve');
      trace.publish('orders', 'order.paid', ['notifications', 'analytics']);
      const graph = observeCallGraph([trace.build()]);
      assert.deepEqual(keys(graph.edges), [
        'gateway -> orders (http)',
        'orders -> analytics (pubsub order.paid)',
        'orders -> catalog (grpc)',
        'orders -> notifications (pubsub order.paid)',
        'orders -> payments (http)',
      ]);
      assert.deepEqual(graph.unexplained, []);
    });

    it('reports an undeclared call, seen from either side', () => {
      const callerOnly = new TraceBuilder();
      // A refused call: the caller's sidecar records it, the callee never sees it.
      callerOnly.dapr('payments', 'CallLocal/users/users/42', 'client', {
        'rpc.service': 'ServiceInvocation',
        'dapr.protocol': 'http',
        'net.peer.name': 'users',
      });
      const both = new TraceBuilder();
      both.invokeGrpc('links', 'qr', '/meshmart.qr.v1.QRService/Generate');
      both.invokeHttp('gateway', 'users', 'auth/login');
      const graph = observeCallGraph([callerOnly.build(), both.build()]);
      const { undeclared } = compareCallGraphs(graph.edges, declaredEdges());
      assert.deepEqual(keys(undeclared), ['links -> qr (grpc)', 'payments -> users (http)']);
    });

    it('reports a delivery of a topic the subscriber is not declared to receive', () => {
      const trace = new TraceBuilder();
      trace.publish('links', 'link.clicked', ['analytics', 'notifications']);
      const { undeclared } = compareCallGraphs(observeCallGraph([trace.build()]).edges, declaredEdges());
      assert.deepEqual(keys(undeclared), ['links -> notifications (pubsub link.clicked)']);
    });

    it('reports a declared edge no trace shows, unless it is excused', () => {
      const topology = services.filter((s) => s.name === 'users' || s.name === 'notifications');
      const trace = new TraceBuilder();
      trace.publish('users', 'user.registered', ['notifications']);
      const observed = observeCallGraph([trace.build()]).edges;
      const missing = compareCallGraphs(observed, declaredEdges(topology));
      assert.deepEqual(keys(missing.unobserved), ['notifications -> users (http)']);
      assert.deepEqual(missing.undeclared, []);
      assert.deepEqual(compareCallGraphs(observed, declaredEdges(topology), ['notifications -> users (http)']).unobserved, []);
    });

    it('names the cross-service hops it cannot classify instead of dropping them', () => {
      const trace = new TraceBuilder();
      trace.deliver('analytics', 'order.created', 'ffffffffffffffff');
      const parent = trace.span('orders', 'POST', { 'otel.scope.name': '@opentelemetry/instrumentation-undici' });
      trace.span('payments', 'POST /charges', { 'otel.scope.name': '@opentelemetry/instrumentation-http' }, parent);
      const graph = observeCallGraph([trace.build()]);
      assert.deepEqual(graph.edges, []);
      assert.equal(graph.unexplained.length, 2, graph.unexplained.join('\n'));
      assert.match(graph.unexplained[0] ?? '', /delivery of order\.created to analytics without its publishing span/);
      assert.match(graph.unexplained[1] ?? '', /orders span "POST" is the parent of payments span "POST \/charges"/);
    });
  });
});
