/** Configuration files of the tracing pipeline: OTel Collector → Jaeger (in memory). */
import { stringify } from 'yaml';
import { observabilityEndpoints, observabilityPorts } from './endpoints.ts';

/** Both take OTLP on the same ports: the collector from the apps, Jaeger from the collector. */
const otlpReceivers = {
  otlp: {
    protocols: {
      grpc: { endpoint: `0.0.0.0:${observabilityPorts.otlpGrpc}` },
      http: { endpoint: `0.0.0.0:${observabilityPorts.otlpHttp}` },
    },
  },
};

export function collectorConfig(): string {
  return stringify({
    receivers: otlpReceivers,
    processors: {
      // Drops data instead of letting a trace burst OOM-kill the collector.
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
      batch: {},
    },
    exporters: {
      'otlp/jaeger': { endpoint: observabilityEndpoints.jaegerOtlpGrpc, tls: { insecure: true } },
    },
    service: {
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp/jaeger'] },
      },
    },
  });
}

export function jaegerConfig(maxTraces: number): string {
  return stringify({
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
    },
    extensions: {
      jaeger_query: { storage: { traces: 'memstore' } },
      // Bounded so a long `skaffold dev` session cannot grow Jaeger past its memory limit.
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
    },
    receivers: otlpReceivers,
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
  });
}
