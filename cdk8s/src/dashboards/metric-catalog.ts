/**
 * The metric names a dashboard query may use, by who exports them:
 *
 * - services: parsed from docs/CONTRACTS.md ("Metrics the services export"), the
 *   contract the kit implements; histograms expand to their _bucket/_sum/_count series;
 * - daprd: Dapr 1.17's Prometheus names (the OpenCensus view names of
 *   pkg/diagnostics with the `dapr_` namespace), as listed in Dapr's metrics docs;
 * - istio: Istio's standard metrics (istio.io, "Istio Standard Metrics");
 * - envoy: Envoy cluster statistics that istio/istio-operator.yaml adds to the proxy's
 *   Prometheus output (proxyStatsMatcher), named as Istio exports them.
 */

export type MetricSource = 'services' | 'daprd' | 'istio' | 'envoy';

export interface MetricCatalog {
  services: string[];
  daprd: string[];
  istio: string[];
  envoy: string[];
}

export const catalogSources: Record<MetricSource, string> = {
  services: 'docs/CONTRACTS.md#metrics-the-services-export',
  daprd: 'https://docs.dapr.io/reference/dapr-metrics/ (Dapr 1.17 pkg/diagnostics)',
  istio: 'https://istio.io/latest/docs/reference/config/metrics/',
  envoy: 'https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats',
};

const histogramSeries = (name: string) => [`${name}_bucket`, `${name}_sum`, `${name}_count`];

/** The "Metrics the services export" section of CONTRACTS.md, as series names. */
export function serviceMetricsFromContracts(markdown: string): string[] {
  const start = markdown.indexOf('## Metrics the services export');
  if (start < 0) throw new Error('CONTRACTS.md has no "## Metrics the services export" section');
  const next = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  // A bullet may wrap onto indented continuation lines.
  const bullets: string[] = [];
  for (const line of section.split('\n')) {
    if (line.startsWith('- ')) bullets.push(line);
    else if (/^\s+\S/.test(line) && bullets.length > 0) bullets[bullets.length - 1] += ` ${line.trim()}`;
  }
  const names = new Set<string>();
  for (const line of bullets) {
    // Process metrics and gauges are single series; prom-client counters end in _total.
    const singleSeries = /gauge|default process metrics/i.test(line);
    for (const [, name] of line.matchAll(/`([a-z_:][a-z0-9_:]*)(?:\{[^}`]*\})?`/g)) {
      // A backticked `prefix_` is a naming rule, not a metric.
      if (!name || name.endsWith('_')) continue;
      const series = singleSeries || name.endsWith('_total') ? [name] : histogramSeries(name);
      for (const s of series) names.add(s);
    }
  }
  if (names.size === 0) throw new Error('no metric names found in CONTRACTS.md');
  return [...names].sort();
}

const daprHistograms = [
  'dapr_http_server_latency',
  'dapr_http_client_roundtrip_latency',
  'dapr_grpc_io_server_server_latency',
  'dapr_grpc_io_client_roundtrip_latency',
  'dapr_component_pubsub_ingress_latencies',
  'dapr_component_pubsub_egress_latencies',
  'dapr_component_state_latencies',
  'dapr_component_output_binding_latencies',
  'dapr_component_configuration_latencies',
  'dapr_component_secret_latencies',
  'dapr_runtime_service_invocation_res_recv_latency_ms',
];

const daprSingle = [
  'dapr_http_server_request_count',
  'dapr_http_server_response_count',
  'dapr_http_client_completed_count',
  'dapr_grpc_io_server_completed_rpcs',
  'dapr_grpc_io_client_completed_rpcs',
  'dapr_component_pubsub_ingress_count',
  'dapr_component_pubsub_egress_count',
  'dapr_component_state_count',
  'dapr_component_output_binding_count',
  'dapr_component_configuration_count',
  'dapr_component_secret_count',
  'dapr_runtime_component_loaded',
  'dapr_runtime_component_init_total',
  'dapr_runtime_component_init_fail_total',
  'dapr_runtime_service_invocation_req_sent_total',
  'dapr_runtime_service_invocation_req_recv_total',
  'dapr_runtime_service_invocation_res_sent_total',
  'dapr_runtime_service_invocation_res_recv_total',
  'dapr_resiliency_loaded',
  'dapr_resiliency_count',
  'dapr_resiliency_activations_total',
  'dapr_resiliency_cb_state',
];

const istioHistograms = ['istio_request_duration_milliseconds', 'istio_request_bytes', 'istio_response_bytes'];
const istioSingle = [
  'istio_requests_total',
  'istio_request_messages_total',
  'istio_response_messages_total',
  'istio_tcp_sent_bytes_total',
  'istio_tcp_received_bytes_total',
  'istio_tcp_connections_opened_total',
  'istio_tcp_connections_closed_total',
];

/** Kept in step with proxyStatsMatcher in istio/istio-operator.yaml. */
export const envoyClusterStats = [
  'envoy_cluster_outlier_detection_ejections_active',
  'envoy_cluster_outlier_detection_ejections_enforced_total',
  'envoy_cluster_upstream_rq_retry',
  'envoy_cluster_upstream_rq_retry_overflow',
  'envoy_cluster_upstream_rq_pending_overflow',
  'envoy_cluster_upstream_rq_timeout',
];

export function metricCatalog(contractsMarkdown: string): MetricCatalog {
  return {
    services: serviceMetricsFromContracts(contractsMarkdown),
    daprd: [...daprSingle, ...daprHistograms.flatMap(histogramSeries)].sort(),
    istio: [...istioSingle, ...istioHistograms.flatMap(histogramSeries)].sort(),
    envoy: [...envoyClusterStats].sort(),
  };
}

export function sourceOf(catalog: MetricCatalog, metric: string): MetricSource | undefined {
  return (Object.keys(catalogSources) as MetricSource[]).find((source) => catalog[source].includes(metric));
}
