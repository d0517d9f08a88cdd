/**
 * prom-client metrics on one registry per process. Names are listed in
 * docs/CONTRACTS.md; dashboards and their tests depend on them.
 */
import client from 'prom-client';

export const registry = new client.Registry();

let defaultsCollected = false;

/** Labels every series carries so one Prometheus query can split by service. */
export function initMetrics(service: string): void {
  registry.setDefaultLabels({ service });
  if (!defaultsCollected) {
    client.collectDefaultMetrics({ register: registry, prefix: 'meshmart_' });
    defaultsCollected = true;
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

export const httpMetrics = memo(() => ({
  requests: new client.Counter({
    name: 'http_server_requests_total',
    help: 'HTTP requests handled, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  }),
  duration: new client.Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'HTTP request handling time, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
}));

export const grpcMetrics = memo(() => ({
  handled: new client.Counter({
    name: 'grpc_server_handled_total',
    help: 'gRPC calls completed, by method and status code',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'] as const,
    registers: [registry],
  }),
  duration: new client.Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'gRPC call handling time, by method and status code',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
}));

export const daprClientMetrics = memo(() => ({
  requests: new client.Counter({
    name: 'dapr_client_requests_total',
    help: 'Calls made through the Dapr sidecar, by target and outcome',
    labelNames: ['target', 'operation', 'outcome'] as const,
    registers: [registry],
  }),
  duration: new client.Histogram({
    name: 'dapr_client_request_duration_seconds',
    help: 'Time of calls made through the Dapr sidecar',
    labelNames: ['target', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
}));

export const eventMetrics = memo(() => ({
  received: new client.Counter({
    name: 'events_received_total',
    help: 'Pub/sub deliveries handled, by topic and the answer given to Dapr',
    labelNames: ['topic', 'outcome'] as const,
    registers: [registry],
  }),
  published: new client.Counter({
    name: 'events_published_total',
    help: 'Events handed to the Dapr pub/sub component',
    labelNames: ['topic'] as const,
    registers: [registry],
  }),
  deadLettered: new client.Counter({
    name: 'events_dead_lettered_total',
    help: 'Events that arrived on the dead-letter topic, by the topic they failed on and why',
    labelNames: ['topic', 'reason'] as const,
    registers: [registry],
  }),
  outboxPending: new client.Gauge({
    name: 'outbox_pending',
    help: 'Outbox rows not yet published',
    registers: [registry],
  }),
  outboxParked: new client.Counter({
    name: 'outbox_parked_total',
    help: 'Outbox rows parked after failing to publish OUTBOX_MAX_ATTEMPTS times',
    labelNames: ['topic'] as const,
    registers: [registry],
  }),
  outboxParkedRows: new client.Gauge({
    name: 'outbox_parked',
    help: 'Outbox rows parked now, waiting for someone to requeue or discard them',
    registers: [registry],
  }),
}));

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
  return new client.Counter<L>({ name, help, labelNames, registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
  return new client.Gauge<L>({ name, help, labelNames, registers: [registry] });
}

export const loopMetrics = memo(() => ({
  passes: counter(
    'background_loop_passes_total',
    'Passes of background loops (outbox relays, sweepers, retry loops), by loop and outcome',
    ['loop', 'outcome'],
  ),
  duration: new client.Histogram({
    name: 'background_loop_pass_seconds',
    help: 'Time a pass of a background loop took',
    labelNames: ['loop'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  failing: gauge('background_loop_consecutive_failures', 'Failed passes in a row of a background loop; 0 once a pass succeeds', [
    'loop',
  ]),
}));
