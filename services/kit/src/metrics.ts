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
    // The event-loop delay histogram samples on a timer. At prom-client's default of every
    // 10 ms, waking an idle service 100 times a second cost ~0.5% of a core per process,
    // nearly half of what the idle services and sidecars spent together; ten samples a
    // second still see a blocked loop.
    client.collectDefaultMetrics({ register: registry, prefix: 'meshmart_', eventLoopMonitoringPrecision: 100 });
    defaultsCollected = true;
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Buckets for work that takes well under a second (rendering one image, one query). */
export const SUB_SECOND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Made on first use, so a process registers only the metrics of the parts it runs. */
export function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
  return new client.Counter<L>({ name, help, labelNames, registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
  return new client.Gauge<L>({ name, help, labelNames, registers: [registry] });
}

/** A histogram of seconds with latency buckets from 1 ms to 10 s, unless given others. */
export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = LATENCY_BUCKETS,
) {
  return new client.Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
}

/** Seconds since a `process.hrtime.bigint()` reading. */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A count and a latency histogram of the same calls, under the same labels. */
function callMetrics<L extends string>(
  counted: [name: string, help: string],
  timed: [name: string, help: string],
  labelNames: readonly L[],
) {
  const calls = counter(...counted, labelNames);
  const duration = histogram(...timed, labelNames);
  return {
    record(labels: Record<L, string>, seconds: number): void {
      calls.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}

export const httpMetrics = memo(() =>
  callMetrics(
    ['http_server_requests_total', 'HTTP requests handled, by route template and status'],
    ['http_server_request_duration_seconds', 'HTTP request handling time, by route template and status'],
    ['method', 'route', 'status'],
  ),
);

export const grpcMetrics = memo(() =>
  callMetrics(
    ['grpc_server_handled_total', 'gRPC calls completed, by method and status code'],
    ['grpc_server_handling_seconds', 'gRPC call handling time, by method and status code'],
    ['grpc_service', 'grpc_method', 'grpc_code'],
  ),
);

export const daprClientMetrics = memo(() =>
  callMetrics(
    ['dapr_client_requests_total', 'Calls made through the Dapr sidecar, by target and outcome'],
    ['dapr_client_request_duration_seconds', 'Time of calls made through the Dapr sidecar'],
    ['target', 'operation', 'outcome'],
  ),
);

export const eventMetrics = memo(() => ({
  received: counter('events_received_total', 'Pub/sub deliveries handled, by topic and the answer given to Dapr', [
    'topic',
    'outcome',
  ]),
  published: counter('events_published_total', 'Events handed to the Dapr pub/sub component', ['topic']),
  deadLettered: counter(
    'events_dead_lettered_total',
    'Events that arrived on the dead-letter topic, by the topic they failed on and why',
    ['topic', 'reason'],
  ),
  outboxPending: gauge('outbox_pending', 'Outbox rows not yet published'),
  outboxParked: counter('outbox_parked_total', 'Outbox rows parked after failing to publish OUTBOX_MAX_ATTEMPTS times', [
    'topic',
  ]),
  outboxParkedRows: gauge('outbox_parked', 'Outbox rows parked now, waiting for someone to requeue or discard them'),
}));

export const loopMetrics = memo(() => ({
  passes: counter(
    'background_loop_passes_total',
    'Passes of background loops (outbox relays, sweepers, retry loops), by loop and outcome',
    ['loop', 'outcome'],
  ),
  duration: histogram('background_loop_pass_seconds', 'Time a pass of a background loop took', ['loop']),
  failing: gauge('background_loop_consecutive_failures', 'Failed passes in a row of a background loop; 0 once a pass succeeds', [
    'loop',
  ]),
}));
