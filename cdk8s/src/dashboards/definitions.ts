/**
 * The Grafana dashboards, as data: every panel's PromQL lives here and nowhere else.
 * Queries use only names from metric-catalog.ts and labels the exporters set themselves
 * (not the cluster's relabelled `namespace`/`pod`/`app`), so the same dashboards work
 * against the local stack's Prometheus.
 */

export interface Query {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Grid width out of 24. */
  width?: number;
  kind?: 'timeseries' | 'stat';
}

export interface Variable {
  name: string;
  label: string;
  /** A label_values() query. */
  query: string;
}

export interface Dashboard {
  uid: string;
  file: string;
  title: string;
  description: string;
  variables: Variable[];
  rows: Array<{ title: string; panels: Panel[] }>;
}

const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;
const p95 = (bucket: string, by: string) => `histogram_quantile(0.95, sum by (le, ${by}) (${rate(bucket)}))`;

const svc = 'service=~"$service"';

/** A quarter-width figure: how much a counter grew over the dashboard's time range, optionally split by a label. */
const inRange = (title: string, description: string, counter: string, legend: string, by?: string): Panel => ({
  title,
  description,
  unit: 'short',
  kind: 'stat',
  width: 6,
  queries: [{ expr: `sum${by ? ` by (${by}) ` : ''}(increase(${counter}[$__range]))`, legend }],
});

/** Events per second of a counter, one line per value of a label. */
const perSecondBy = (title: string, description: string, counter: string, by: string, width?: number): Panel => ({
  title,
  description,
  unit: 'ops',
  ...(width === undefined ? {} : { width }),
  queries: [{ expr: `sum by (${by}) (${rate(counter)})`, legend: `{{${by}}}` }],
});

const serviceOverview: Dashboard = {
  uid: 'meshmart-services',
  file: 'service-overview.json',
  title: 'meshmart / Services (RED)',
  description: 'Rate, errors and duration per service and route, as each service measures itself.',
  variables: [{ name: 'service', label: 'Service', query: 'label_values(http_server_requests_total, service)' }],
  rows: [
    {
      title: 'HTTP',
      panels: [
        {
          title: 'Requests by route',
          description: 'HTTP requests per second, by service, method and route template.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (service, method, route) (${rate(`http_server_requests_total{${svc}}`)})`,
              legend: '{{service}} {{method}} {{route}}',
            },
          ],
        },
        {
          title: 'Error ratio by route (5xx)',
          description: 'Share of requests answered with a 5xx status.',
          unit: 'percentunit',
          queries: [
            {
              // `or 0 * all` keeps routes with no 5xx at 0 instead of leaving the panel empty.
              expr: `(sum by (service, route) (${rate(`http_server_requests_total{${svc},status=~"5.."}`)}) or 0 * sum by (service, route) (${rate(`http_server_requests_total{${svc}}`)})) / sum by (service, route) (${rate(`http_server_requests_total{${svc}}`)})`,
              legend: '{{service}} {{route}}',
            },
          ],
        },
        {
          title: 'Client errors by status (4xx)',
          description: 'Rejected input, missing auth, rate limits: 4xx per second by status.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (service, status) (${rate(`http_server_requests_total{${svc},status=~"4.."}`)})`,
              legend: '{{service}} {{status}}',
            },
          ],
        },
        {
          title: 'p95 latency by route',
          description: '95th percentile of HTTP request duration.',
          unit: 's',
          queries: [
            {
              expr: p95(`http_server_request_duration_seconds_bucket{${svc}}`, 'service, route'),
              legend: '{{service}} {{route}}',
            },
          ],
        },
      ],
    },
    {
      title: 'gRPC',
      panels: [
        {
          title: 'gRPC calls by method and code',
          description: 'Handled gRPC calls per second.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (service, grpc_method, grpc_code) (${rate(`grpc_server_handled_total{${svc}}`)})`,
              legend: '{{service}} {{grpc_method}} {{grpc_code}}',
            },
          ],
        },
        {
          title: 'gRPC p95 latency by method',
          description: '95th percentile of gRPC handling time.',
          unit: 's',
          queries: [
            {
              expr: p95(`grpc_server_handling_seconds_bucket{${svc}}`, 'service, grpc_method'),
              legend: '{{service}} {{grpc_method}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Through the sidecar',
      panels: [
        {
          title: 'Outbound calls by target and outcome',
          description: 'Calls the app makes through its Dapr sidecar (invocation, state, publish, bindings).',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (service, target, operation, outcome) (${rate(`dapr_client_requests_total{${svc}}`)})`,
              legend: '{{service}} → {{target}} {{operation}} {{outcome}}',
            },
          ],
        },
        {
          title: 'Outbound p95 latency by target',
          description: '95th percentile duration of calls through the sidecar, as the app sees them.',
          unit: 's',
          queries: [
            {
              expr: p95(`dapr_client_request_duration_seconds_bucket{${svc}}`, 'service, target, operation'),
              legend: '{{service}} → {{target}} {{operation}}',
            },
          ],
        },
        {
          title: 'Events received by topic and outcome',
          description: 'Pub/sub deliveries handled: SUCCESS, RETRY (redelivered by Dapr) or DROP.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (service, topic, outcome) (${rate(`events_received_total{${svc}}`)})`,
              legend: '{{service}} {{topic}} {{outcome}}',
            },
          ],
        },
        {
          title: 'Dead-lettered events',
          description:
            'Events that reached the dead-letter topic over the range, by the topic they failed on and why: malformed, or undeliverable (dropped by a subscriber, or still failing after the delivery retries).',
          unit: 'short',
          queries: [
            {
              expr: `sum by (topic, reason) (increase(events_dead_lettered_total{${svc}}[$__range]))`,
              legend: '{{topic}} {{reason}}',
            },
          ],
        },
        {
          title: 'Events published and outbox backlog',
          description: 'Events handed to the sidecar per second, and rows still waiting in the outbox.',
          unit: 'short',
          queries: [
            {
              expr: `sum by (service, topic) (${rate(`events_published_total{${svc}}`)})`,
              legend: 'published {{service}} {{topic}}',
            },
            { expr: `max by (service) (outbox_pending{${svc}})`, legend: 'pending {{service}}' },
          ],
        },
        {
          title: 'Outbox rows parked',
          description:
            'Outbox rows set aside after failing to publish OUTBOX_MAX_ATTEMPTS times (a refused topic, a rejected event); they wait for someone to requeue or discard them.',
          unit: 'short',
          queries: [{ expr: `max by (service) (outbox_parked{${svc}})`, legend: 'parked {{service}}' }],
        },
        {
          title: 'Resident memory',
          description: 'Process RSS of each service.',
          unit: 'bytes',
          queries: [{ expr: `max by (service) (meshmart_process_resident_memory_bytes{${svc}})`, legend: '{{service}}' }],
        },
      ],
    },
    {
      title: 'Fault flags',
      panels: [
        {
          title: 'Fault flags set',
          description:
            'Each fault flag as the service follows it (a share for failure rates, milliseconds for latency, 1 for a switch that is on); set with `npm run stack -- flag set`.',
          unit: 'short',
          queries: [{ expr: `max by (service, flag) (fault_flag_value{${svc}})`, legend: '{{flag}}' }],
        },
        {
          title: 'Faults injected',
          description:
            'Faults injected per second because a flag is set: failed or delayed charges, refused stock calls, cache reads and e-mail sends made to fail.',
          unit: 'ops',
          queries: [{ expr: `sum by (service, flag) (${rate(`fault_flag_injections_total{${svc}}`)})`, legend: '{{flag}}' }],
        },
      ],
    },
  ],
};

const businessKpis: Dashboard = {
  uid: 'meshmart-business',
  file: 'business-kpis.json',
  title: 'meshmart / Business KPIs',
  description: 'What the store does, from the business metrics the services export.',
  variables: [],
  rows: [
    {
      title: 'Accounts',
      panels: [
        inRange('Sign-ups in range', 'Accounts registered over the selected time range.', 'users_registered_total', 'sign-ups'),
        inRange(
          'Failed logins in range',
          'Login attempts that did not succeed over the selected range.',
          'users_logins_total{outcome="rejected"}',
          'failed',
        ),
        {
          title: 'Sign-ups',
          description: 'Registrations per second.',
          unit: 'ops',
          width: 12,
          queries: [{ expr: `sum(${rate('users_registered_total')})`, legend: 'sign-ups' }],
        },
        perSecondBy('Logins by outcome', 'Login attempts per second by outcome.', 'users_logins_total', 'outcome'),
        {
          title: 'Rate-limited requests by route',
          description: 'Requests the gateway turned away with 429.',
          unit: 'reqps',
          queries: [{ expr: `sum by (route) (${rate('gateway_rate_limited_total')})`, legend: '{{route}}' }],
        },
      ],
    },
    {
      title: 'Commerce',
      panels: [
        inRange(
          'Paid orders in range',
          'Checkouts that ended paid over the selected range.',
          'orders_checkouts_total{outcome="paid"}',
          'paid',
        ),
        inRange(
          'Revenue in range',
          'Paid order totals over the selected range, in minor units per currency.',
          'orders_revenue_minor_total',
          '{{currency}}',
          'currency',
        ),
        perSecondBy(
          'Saga outcomes',
          'Checkouts per second by how they ended: paid, or the class of failure.',
          'orders_checkouts_total',
          'outcome',
          12,
        ),
        {
          title: 'Saga step p95',
          description: 'Time each checkout step takes (GetUser, the price read, Reserve, charge, Commit, compensations).',
          unit: 's',
          queries: [{ expr: p95('orders_saga_step_seconds_bucket', 'step'), legend: '{{step}}' }],
        },
        perSecondBy(
          'Charges by outcome',
          'Card charges per second: succeeded, declined, insufficient funds, processor errors.',
          'payments_charges_total',
          'outcome',
        ),
        perSecondBy(
          'Reservations by outcome',
          'Stock reservations per second: held, out of stock, committed, released, expired.',
          'inventory_reservations_total',
          'outcome',
        ),
        {
          title: 'Notifications sent',
          description: 'E-mails and in-app notifications per second by kind.',
          unit: 'ops',
          queries: [{ expr: `sum by (channel, kind) (${rate('notifications_sent_total')})`, legend: '{{channel}} {{kind}}' }],
        },
      ],
    },
    {
      title: 'Links and QR codes',
      panels: [
        inRange(
          'Redirects in range',
          'Short-link follows that redirected over the selected range.',
          'links_redirects_total{outcome="found"}',
          'redirects',
        ),
        inRange(
          'QR codes in range',
          'QR codes generated over the selected range (cache hits included).',
          'qr_generated_total',
          'QR codes',
        ),
        perSecondBy(
          'Redirects by outcome',
          'Short-link follows per second: redirected, unknown code, expired, deleted.',
          'links_redirects_total',
          'outcome',
          12,
        ),
        {
          title: 'Redirect p95 (ResolveURL)',
          description: 'Time links takes to resolve a code and store the click, at the gRPC server.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le) (${rate('grpc_server_handling_seconds_bucket{grpc_method="ResolveURL"}')}))`,
              legend: 'p95',
            },
          ],
        },
        {
          title: 'Link cache hit ratio',
          description: 'Share of redirects answered from the Dapr state store without reading PostgreSQL.',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(${rate('links_cache_lookups_total{result="hit"}')}) / sum(${rate('links_cache_lookups_total')})`,
              legend: 'hit ratio',
            },
          ],
        },
        {
          title: 'QR codes by format and cache',
          description: 'QR codes per second by image format and whether the cache answered.',
          unit: 'ops',
          queries: [{ expr: `sum by (format, cached) (${rate('qr_generated_total')})`, legend: '{{format}} cached={{cached}}' }],
        },
        {
          title: 'QR render p95 by format',
          description: 'Time to render one image, cache misses only.',
          unit: 's',
          queries: [{ expr: p95('qr_render_seconds_bucket', 'format'), legend: '{{format}}' }],
        },
        {
          title: 'Live streams open',
          description: 'Server-sent event streams the gateway relays and click streams links serves.',
          unit: 'short',
          queries: [
            { expr: 'sum by (route) (gateway_sse_streams_open)', legend: 'gateway {{route}}' },
            { expr: 'sum(links_streams_open)', legend: 'links click streams' },
          ],
        },
      ],
    },
    {
      title: 'Analytics',
      panels: [
        perSecondBy(
          'Events counted by topic',
          'Domain events analytics folded into its rollups, per second.',
          'analytics_events_counted_total',
          'topic',
        ),
        perSecondBy(
          'Redelivered events ignored',
          'Events analytics had counted already (at-least-once delivery), per second.',
          'analytics_events_duplicate_total',
          'topic',
        ),
        {
          title: 'Tracked client events',
          description: 'Events posted to /analytics/track per second.',
          unit: 'ops',
          queries: [{ expr: `sum(${rate('analytics_tracked_total')})`, legend: 'tracked' }],
        },
      ],
    },
    {
      title: 'Search and recommendations',
      panels: [
        {
          title: 'Search query p95 by kind',
          description: 'Time PostgreSQL takes to answer a search (with its facets) or a suggestion.',
          unit: 's',
          queries: [{ expr: p95('search_query_duration_seconds_bucket', 'kind'), legend: '{{kind}}' }],
        },
        {
          title: 'Search index lag p95',
          description: 'From the time an event says its change happened to the time search indexed it, by topic.',
          unit: 's',
          queries: [{ expr: p95('search_index_lag_seconds_bucket', 'topic'), legend: '{{topic}}' }],
        },
        {
          title: 'Search index events by outcome',
          description: 'Events applied, and stale ones (older or repeated revisions) ignored, per second.',
          unit: 'ops',
          queries: [{ expr: `sum by (topic, outcome) (${rate('search_index_events_total')})`, legend: '{{topic}} {{outcome}}' }],
        },
        {
          title: 'Recommendation source mix',
          description:
            'Recommendations served per second by where they came from: bought together, or the category or store best-sellers that fill a short list.',
          unit: 'ops',
          queries: [{ expr: `sum by (list, source) (${rate('recommendations_served_total')})`, legend: '{{list}} {{source}}' }],
        },
      ],
    },
  ],
};

const app = 'app_id=~"$app"';

const daprSidecars: Dashboard = {
  uid: 'meshmart-dapr',
  file: 'dapr-sidecars.json',
  title: 'meshmart / Dapr sidecars',
  description: 'Service invocation, pub/sub and state as the daprd sidecars measure them.',
  variables: [{ name: 'app', label: 'App', query: 'label_values(dapr_runtime_component_loaded, app_id)' }],
  rows: [
    {
      title: 'Service invocation',
      panels: [
        {
          title: 'Invocations sent, caller → callee',
          description: 'Requests a sidecar sent to another app.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (app_id, dst_app_id) (${rate(`dapr_runtime_service_invocation_req_sent_total{${app}}`)})`,
              legend: '{{app_id}} → {{dst_app_id}}',
            },
          ],
        },
        {
          title: 'Invocation responses by status',
          description: 'Responses received by the calling sidecar, by gRPC status code (0 is OK).',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (app_id, src_app_id, status) (${rate(`dapr_runtime_service_invocation_res_recv_total{${app}}`)})`,
              legend: '{{app_id}} ← {{src_app_id}} {{status}}',
            },
          ],
        },
        {
          title: 'Invocation p95 latency',
          description: 'Round trip seen by the calling sidecar, in milliseconds.',
          unit: 'ms',
          queries: [
            {
              expr: p95(`dapr_runtime_service_invocation_res_recv_latency_ms_bucket{${app}}`, 'app_id, src_app_id'),
              legend: '{{app_id}} ← {{src_app_id}}',
            },
          ],
        },
        {
          title: 'Sidecar API calls from the app',
          description: 'Requests the app made to its sidecar over HTTP and gRPC, by status.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (app_id, status) (${rate(`dapr_http_server_request_count{${app}}`)})`,
              legend: 'http {{app_id}} {{status}}',
            },
            {
              expr: `sum by (app_id, grpc_server_status) (${rate(`dapr_grpc_io_server_completed_rpcs{${app}}`)})`,
              legend: 'grpc {{app_id}} {{grpc_server_status}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Pub/sub',
      panels: [
        {
          title: 'Published by topic',
          description: 'Publishes to the broker, by success.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (app_id, topic, success) (${rate(`dapr_component_pubsub_egress_count{${app}}`)})`,
              legend: '{{app_id}} {{topic}} {{success}}',
            },
          ],
        },
        {
          title: 'Delivered by topic and app status',
          description: 'Deliveries to subscribers, by the status the app returned.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (app_id, topic, process_status) (${rate(`dapr_component_pubsub_ingress_count{${app}}`)})`,
              legend: '{{app_id}} {{topic}} {{process_status}}',
            },
          ],
        },
        {
          title: 'Delivery p95 latency',
          description: 'Time the subscriber took to handle a delivery, in milliseconds.',
          unit: 'ms',
          queries: [
            {
              expr: p95(`dapr_component_pubsub_ingress_latencies_bucket{${app}}`, 'app_id, topic'),
              legend: '{{app_id}} {{topic}}',
            },
          ],
        },
      ],
    },
    {
      title: 'State, bindings and resiliency',
      panels: [
        {
          title: 'State operations',
          description: 'State store calls by operation and success.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (app_id, component, operation, success) (${rate(`dapr_component_state_count{${app}}`)})`,
              legend: '{{app_id}} {{component}} {{operation}} {{success}}',
            },
          ],
        },
        {
          title: 'State p95 latency',
          description: 'State store call duration, in milliseconds.',
          unit: 'ms',
          queries: [
            {
              expr: p95(`dapr_component_state_latencies_bucket{${app}}`, 'app_id, operation'),
              legend: '{{app_id}} {{operation}}',
            },
          ],
        },
        {
          title: 'Output bindings',
          description: 'Binding invocations (SMTP, blob storage) by success.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (app_id, component, success) (${rate(`dapr_component_output_binding_count{${app}}`)})`,
              legend: '{{app_id}} {{component}} {{success}}',
            },
          ],
        },
        {
          title: 'Resiliency policy activations',
          description: 'Retries, timeouts and open circuit breakers of Dapr resiliency policies.',
          unit: 'ops',
          queries: [{ expr: `sum by (app_id) (${rate(`dapr_resiliency_activations_total{${app}}`)})`, legend: '{{app_id}}' }],
        },
      ],
    },
  ],
};

const mesh: Dashboard = {
  uid: 'meshmart-mesh',
  file: 'mesh.json',
  title: 'meshmart / Mesh (Istio)',
  description: 'Traffic between workloads as the Envoy sidecars report it.',
  variables: [],
  rows: [
    {
      title: 'Requests',
      panels: [
        {
          title: 'Requests, source → destination',
          description: 'Requests per second reported by the receiving proxy.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (source_workload, destination_workload) (${rate('istio_requests_total{reporter="destination"}')})`,
              legend: '{{source_workload}} → {{destination_workload}}',
            },
          ],
        },
        {
          title: 'Error ratio by destination (5xx)',
          description: 'Share of requests to each workload that ended in a 5xx.',
          unit: 'percentunit',
          queries: [
            {
              expr: `(sum by (destination_workload) (${rate('istio_requests_total{reporter="destination",response_code=~"5.."}')}) or 0 * sum by (destination_workload) (${rate('istio_requests_total{reporter="destination"}')})) / sum by (destination_workload) (${rate('istio_requests_total{reporter="destination"}')})`,
              legend: '{{destination_workload}}',
            },
          ],
        },
        {
          title: 'p95 latency by destination',
          description: 'Request duration at the receiving proxy, in milliseconds.',
          unit: 'ms',
          queries: [
            {
              expr: p95('istio_request_duration_milliseconds_bucket{reporter="destination"}', 'destination_workload'),
              legend: '{{destination_workload}}',
            },
          ],
        },
        {
          title: 'Requests by mTLS policy',
          description: 'mutual_tls everywhere is what STRICT PeerAuthentication should show.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (destination_workload, connection_security_policy) (${rate('istio_requests_total{reporter="destination"}')})`,
              legend: '{{destination_workload}} {{connection_security_policy}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Resilience at the proxy',
      panels: [
        {
          title: 'Responses with Envoy flags',
          description: 'Calls Envoy failed or cut short: UO overflow, UH no healthy host, URX retries exhausted, UT timeout.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (source_workload, destination_workload, response_flags) (${rate('istio_requests_total{reporter="source",response_flags!="-"}')})`,
              legend: '{{source_workload}} → {{destination_workload}} {{response_flags}}',
            },
          ],
        },
        {
          title: 'Hosts ejected by outlier detection',
          description: 'Endpoints currently ejected from each upstream cluster (circuit breaking).',
          unit: 'short',
          queries: [
            { expr: 'sum by (cluster_name) (envoy_cluster_outlier_detection_ejections_active)', legend: '{{cluster_name}}' },
          ],
        },
        {
          title: 'Retries and overflows',
          description: 'Retries Envoy made, and requests refused because a connection pool or retry budget was full.',
          unit: 'ops',
          queries: [
            { expr: `sum by (cluster_name) (${rate('envoy_cluster_upstream_rq_retry')})`, legend: 'retry {{cluster_name}}' },
            {
              expr: `sum by (cluster_name) (${rate('envoy_cluster_upstream_rq_pending_overflow')})`,
              legend: 'overflow {{cluster_name}}',
            },
          ],
        },
        {
          title: 'TCP traffic to data stores',
          description: 'Bytes sent to the stores by each client, as the store-side proxy sees it.',
          unit: 'Bps',
          queries: [
            {
              expr: `sum by (source_workload, destination_workload) (${rate('istio_tcp_received_bytes_total{reporter="destination",destination_workload_namespace="meshmart-data"}')})`,
              legend: '{{source_workload}} → {{destination_workload}}',
            },
          ],
        },
      ],
    },
  ],
};

export const dashboards: readonly Dashboard[] = [serviceOverview, businessKpis, daprSidecars, mesh];

/** Every query of every dashboard, with where it sits. */
export function allQueries(): Array<{ dashboard: string; panel: string; expr: string }> {
  return dashboards.flatMap((d) =>
    d.rows.flatMap((row) =>
      row.panels.flatMap((panel) => panel.queries.map((q) => ({ dashboard: d.file, panel: panel.title, expr: q.expr }))),
    ),
  );
}
