/**
 * Prometheus scrape configuration. Two jobs cover every series the dashboards use:
 *
 * - `mesh-pods`: each injected pod's istio-agent endpoint (:15020/stats/prometheus, set by
 *   Istio's injector in the prometheus.io annotations) which serves Envoy's `istio_*`
 *   metrics merged with the app's own /metrics, in plain HTTP despite STRICT mTLS;
 * - `daprd`: the sidecar's metrics port, found by its container port name and excluded
 *   from Istio's inbound capture.
 *
 * Prometheus runs outside the mesh, so it needs no principal in any AuthorizationPolicy.
 */
import { stringify } from 'yaml';
import { namespaces } from '../settings.ts';

const commonLabels = [
  { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'app' },
];

export function prometheusConfig(): string {
  return stringify({
    global: { scrape_interval: '15s', evaluation_interval: '15s' },
    scrape_configs: [
      {
        job_name: 'mesh-pods',
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [namespaces.apps, namespaces.data, namespaces.istio] } }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
          {
            source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'],
            action: 'replace',
            regex: '(.+)',
            target_label: '__metrics_path__',
          },
          {
            source_labels: ['__meta_kubernetes_pod_ip', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
            action: 'replace',
            regex: '(.+);(\\d+)',
            replacement: '$1:$2',
            target_label: '__address__',
          },
          ...commonLabels,
        ],
      },
      {
        job_name: 'daprd',
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [namespaces.apps] } }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: 'dapr-metrics' },
          ...commonLabels,
        ],
      },
    ],
  });
}
