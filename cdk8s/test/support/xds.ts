/**
 * The Envoy configuration istiod computes for a proxy, read with tools/xds-dump (built by
 * scripts/setup/build-xds-dump.sh), and the comparisons the xds cluster level makes
 * between it and the topology. Each comparison returns findings, one line per
 * difference, so a negative case can assert what it reports and not only that it failed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { trustDomain } from '../../src/settings.ts';
import { cdk8sDir } from './validate.ts';

const run = promisify(execFile);

export const xdsDumpBin = join(cdk8sDir, '..', '.tools', 'bin', 'xds-dump');

export function assertXdsDumpBuilt(): void {
  if (!existsSync(xdsDumpBin)) throw new Error(`missing ${xdsDumpBin}: run bash scripts/setup/cluster-tools.sh`);
}

/** The parts of a Pod a proxy's identity comes from. */
export interface PodLike {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
  spec: { serviceAccountName?: string; containers: Array<{ name: string }>; nodeName?: string };
  status?: { podIP?: string };
}

export interface XdsProxy {
  type: 'sidecar' | 'router';
  ip: string;
  pod: string;
  namespace: string;
  metadata: Record<string, unknown>;
}

/**
 * What istio-agent would tell istiod about the proxy of this pod (its ISTIO_META_*
 * environment from the injection template). Without a kubelet a pod has no IP, so the
 * caller passes one from TEST-NET-1: istiod finds the pod by the name in the node id,
 * not by its IP, and derives the inbound listeners from the Services selecting it.
 */
export function proxyOf(pod: PodLike, type: XdsProxy['type'], ip: string): XdsProxy {
  const { name, namespace, labels = {} } = pod.metadata;
  const owner = pod.metadata.ownerReferences?.[0];
  const hash = labels['pod-template-hash'];
  const workload =
    owner?.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)
      ? owner.name.slice(0, -hash.length - 1)
      : (owner?.name ?? name);
  return {
    type,
    ip: pod.status?.podIP || ip,
    pod: name,
    namespace,
    metadata: {
      NAME: name,
      NAMESPACE: namespace,
      LABELS: labels,
      SERVICE_ACCOUNT: pod.spec.serviceAccountName ?? 'default',
      WORKLOAD_NAME: workload,
      OWNER: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${workload}`,
      CLUSTER_ID: 'Kubernetes',
      MESH_ID: trustDomain,
      INTERCEPTION_MODE: 'REDIRECT',
      APP_CONTAINERS: pod.spec.containers.map((c) => c.name).join(','),
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: Envoy resources as protojson renders them, read field by field.
type Json = any;

export interface XdsDump {
  node: string;
  listeners: Json[];
  clusters: Json[];
  routes: Json[];
}

export async function readXds(xdsAddress: string, proxy: XdsProxy): Promise<XdsDump> {
  const args = ['-xds', xdsAddress, '-type', proxy.type, '-ip', proxy.ip, '-pod', proxy.pod];
  args.push('-namespace', proxy.namespace, '-metadata', JSON.stringify(proxy.metadata));
  const { stdout } = await run(xdsDumpBin, args, { maxBuffer: 256 * 1024 * 1024 });
  const dump = JSON.parse(stdout) as XdsDump;
  return { node: dump.node, listeners: dump.listeners ?? [], clusters: dump.clusters ?? [], routes: dump.routes ?? [] };
}

/** Milliseconds of an Istio or protojson duration ("15s", "0.500s", "1m"); undefined stays undefined. */
export function durationMs(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

const inboundListener = (dump: XdsDump): Json => dump.listeners.find((l) => l.name === 'virtualInbound');

const terminalCluster = (chain: Json): string | undefined =>
  chain.filters?.find((f: Json) => f.name === 'envoy.filters.network.tcp_proxy')?.typed_config?.cluster;

/** The inbound filter chains that pass traffic on (not the loop guard on 15006 itself). */
function inboundChains(dump: XdsDump): Json[] {
  return (inboundListener(dump)?.filter_chains ?? []).filter((c: Json) => terminalCluster(c) !== 'BlackHoleCluster');
}

/**
 * STRICT mTLS as Envoy sees it: every inbound chain accepts only TLS, demands a client
 * certificate checked against the mesh root (ROOTCA over SDS), and runs Istio's peer
 * metadata exchange; each of `ports` has a chain of its own.
 */
export function inboundMtlsFindings(dump: XdsDump, ports: number[]): string[] {
  const chains = inboundChains(dump);
  if (chains.length === 0) return ['no inbound listener'];
  const findings: string[] = [];
  for (const chain of chains) {
    const match = chain.filter_chain_match ?? {};
    const what = `inbound chain ${chain.name}${match.destination_port ? ` (port ${match.destination_port})` : ''}`;
    const tls = chain.transport_socket?.typed_config;
    if (match.transport_protocol !== 'tls') findings.push(`${what} accepts ${match.transport_protocol ?? 'any transport'}`);
    if (chain.transport_socket?.name !== 'envoy.transport_sockets.tls' || tls?.require_client_certificate !== true) {
      findings.push(`${what} does not demand a client certificate`);
    }
    const validation = tls?.common_tls_context?.combined_validation_context?.validation_context_sds_secret_config?.name;
    if (validation !== 'ROOTCA') findings.push(`${what} does not verify peers against the mesh root`);
    if (!chain.filters?.some((f: Json) => f.name === 'istio.metadata_exchange')) {
      findings.push(`${what} has no istio peer metadata exchange`);
    }
  }
  const served = new Set(chains.map((c: Json) => c.filter_chain_match?.destination_port).filter(Boolean));
  for (const port of ports) if (!served.has(port)) findings.push(`no inbound chain for port ${port}`);
  return findings;
}

/**
 * Ports a permission grants: '*' when it does not narrow by port, [] when it matches
 * nothing. Anything else it tests (paths, methods, headers) comes back as an
 * "unparsed" entry, so a comparison reports it instead of guessing what it admits.
 */
function permissionPorts(p: Json): string[] {
  if (p.any) return ['*'];
  if (p.destination_port !== undefined) return [String(p.destination_port)];
  if (p.not_rule?.any) return [];
  const nested: Json[] | undefined = p.and_rules?.rules ?? p.or_rules?.rules;
  if (!nested) return [`unparsed permission ${JSON.stringify(p)}`];
  return combine(nested.map(permissionPorts), p.or_rules !== undefined);
}

/** OR is the union of the parts; AND what every part admits, '*' admitting anything. */
function combine(parts: string[][], or: boolean): string[] {
  if (or) return parts.flat();
  const [first, ...rest] = parts.filter((x) => !x.includes('*'));
  if (!first) return ['*'];
  return rest.reduce((a, b) => a.filter((x) => b.includes(x)), first);
}

/** Principals (without spiffe://) a principal matcher admits: '*' for anyone; [] for no one. */
function principalNames(p: Json): string[] {
  if (p.any) return ['*'];
  if (p.not_id?.any) return [];
  const exact = p.authenticated?.principal_name?.exact;
  if (typeof exact === 'string') return [exact.replace(/^spiffe:\/\//, '')];
  const nested: Json[] | undefined = p.and_ids?.ids ?? p.or_ids?.ids;
  if (!nested) return [`unparsed principal ${JSON.stringify(p)}`];
  return combine(nested.map(principalNames), p.or_ids !== undefined);
}

/**
 * What the inbound RBAC filters admit, as `principal -> port` grants: the union over
 * every inbound chain's RBAC filter (HTTP and network), each ALLOW policy's principals
 * crossed with its ports. A chain without an RBAC filter admits anyone.
 */
export function inboundGrants(dump: XdsDump): string[] {
  const grants = new Set<string>();
  for (const chain of inboundChains(dump)) {
    const rbacs: Json[] = [];
    for (const f of chain.filters ?? []) {
      if (f.name === 'envoy.filters.network.rbac') rbacs.push(f.typed_config);
      for (const h of f.typed_config?.http_filters ?? []) if (h.name === 'envoy.filters.http.rbac') rbacs.push(h.typed_config);
    }
    if (rbacs.length === 0) grants.add(`* -> * (chain ${chain.name} has no RBAC filter)`);
    for (const rbac of rbacs) {
      const action = rbac.rules?.action ?? 'ALLOW';
      if (action !== 'ALLOW') continue;
      for (const policy of Object.values<Json>(rbac.rules?.policies ?? {})) {
        const ports: string[] = (policy.permissions ?? []).flatMap(permissionPorts);
        const principals: string[] = (policy.principals ?? []).flatMap(principalNames);
        for (const who of principals) for (const port of ports) grants.add(`${who} -> ${port}`);
      }
    }
  }
  return [...grants].sort();
}

/** Differences between two sets of lines, as findings ("extra: …", "missing: …"). */
export function setFindings(actual: string[], expected: string[]): string[] {
  return [
    ...actual.filter((a) => !expected.includes(a)).map((a) => `extra: ${a}`),
    ...expected.filter((e) => !actual.includes(e)).map((e) => `missing: ${e}`),
  ];
}

type TrafficPolicy = NonNullable<NonNullable<IDestinationRule['spec']>['trafficPolicy']>;

/** What Envoy enforces of a DestinationRule's traffic policy, on one cluster. */
function clusterLimits(cluster: Json): Record<string, number | undefined> {
  const thresholds = cluster.circuit_breakers?.thresholds?.[0] ?? {};
  const od = cluster.outlier_detection ?? {};
  const http =
    cluster.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']
      ?.common_http_protocol_options ?? {};
  return {
    maxConnections: thresholds.max_connections,
    http2MaxRequests: thresholds.max_requests,
    http1MaxPendingRequests: thresholds.max_pending_requests,
    connectTimeoutMs: durationMs(cluster.connect_timeout),
    idleTimeoutMs: durationMs(http.idle_timeout),
    consecutive5xxErrors: od.consecutive_5xx,
    consecutiveGatewayErrors: od.consecutive_gateway_failure,
    intervalMs: durationMs(od.interval),
    baseEjectionTimeMs: durationMs(od.base_ejection_time),
    maxEjectionPercent: od.max_ejection_percent,
  };
}

/** The same fields from the DestinationRule's traffic policy (cdk8s/src/mesh/traffic.ts). */
export function expectedClusterLimits(policy: TrafficPolicy): Record<string, number | undefined> {
  const pool = policy.connectionPool;
  const od = policy.outlierDetection;
  return {
    maxConnections: pool?.tcp?.maxConnections,
    http2MaxRequests: pool?.http?.http2MaxRequests,
    http1MaxPendingRequests: pool?.http?.http1MaxPendingRequests,
    connectTimeoutMs: durationMs(pool?.tcp?.connectTimeout),
    idleTimeoutMs: durationMs(pool?.http?.idleTimeout),
    consecutive5xxErrors: od?.consecutive5xxErrors,
    consecutiveGatewayErrors: od?.consecutiveGatewayErrors,
    intervalMs: durationMs(od?.interval),
    baseEjectionTimeMs: durationMs(od?.baseEjectionTime),
    maxEjectionPercent: od?.maxEjectionPercent,
  };
}

/** Every outbound cluster of each host (all its ports) carries the expected limits. */
export function clusterFindings(dump: XdsDump, hosts: string[], expected: Record<string, number | undefined>): string[] {
  const findings: string[] = [];
  for (const host of hosts) {
    const clusters = dump.clusters.filter((c) => c.name.startsWith('outbound|') && c.name.endsWith(`||${host}`));
    if (clusters.length === 0) findings.push(`no outbound cluster for ${host}`);
    for (const cluster of clusters) {
      const actual = clusterLimits(cluster);
      for (const [key, want] of Object.entries(expected)) {
        if (actual[key] !== want) findings.push(`${cluster.name}: ${key} ${actual[key]} (want ${want})`);
      }
    }
  }
  return findings;
}

/** One Envoy route as the checks compare it. */
export interface RouteSummary {
  name: string;
  match: string;
  cluster: string;
  /** 0 is Envoy's "no timeout". */
  timeoutMs: number;
  retries?: { attempts: number; retryOn: string; perTryTimeoutMs?: number };
}

function matchOf(m: Json): string {
  const path =
    m.prefix !== undefined
      ? `prefix ${m.prefix}`
      : m.path !== undefined
        ? `exact ${m.path}`
        : m.safe_regex
          ? `regex ${m.safe_regex.regex}`
          : JSON.stringify(m);
  const headers = (m.headers ?? []).map(
    (h: Json) =>
      ` header ${h.name} ${h.string_match?.safe_regex ? `regex ${h.string_match.safe_regex.regex}` : JSON.stringify(h)}`,
  );
  return path + headers.join('');
}

export function summarizeRoute(r: Json): RouteSummary {
  const retry = r.route?.retry_policy;
  return {
    name: r.name,
    match: matchOf(r.match),
    cluster: r.route?.cluster,
    timeoutMs: durationMs(r.route?.timeout) ?? 15_000,
    ...(retry
      ? {
          retries: {
            attempts: retry.num_retries,
            retryOn: retry.retry_on,
            ...(retry.per_try_timeout ? { perTryTimeoutMs: durationMs(retry.per_try_timeout) } : {}),
          },
        }
      : {}),
  };
}

/** The routes of the virtual host serving `domain` in any of the proxy's route configurations. */
export function virtualHostRoutes(dump: XdsDump, domain: string): RouteSummary[] | undefined {
  for (const config of dump.routes) {
    const vh = (config.virtual_hosts ?? []).find((v: Json) => v.domains?.includes(domain));
    if (vh) return vh.routes.map(summarizeRoute);
  }
  return undefined;
}

/** JSON with sorted keys and no undefined fields, so equal routes compare equal as text. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function routeFindings(what: string, actual: RouteSummary[] | undefined, expected: RouteSummary[]): string[] {
  if (!actual) return [`${what}: no virtual host`];
  const findings: string[] = [];
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = canonical(actual[i]);
    const e = canonical(expected[i]);
    if (a !== e) findings.push(`${what} route ${i}: ${a} (want ${e})`);
  }
  return findings;
}

export function outboundCluster(host: string, port: number): string {
  return `outbound|${port}||${host}`;
}

/** One JWT provider of the listeners' jwt_authn filters, and whether a request may come without a token. */
export interface JwtSummary {
  issuer: string;
  audiences: string[];
  jwksUri: string;
  /** The cluster Envoy fetches the JWKS through: the mesh, not istiod. */
  jwksCluster: string;
  forwardToken: boolean;
  tokenOptional: boolean;
}

export function jwtProviders(dump: XdsDump): JwtSummary[] {
  const out: JwtSummary[] = [];
  for (const l of dump.listeners) {
    for (const chain of l.filter_chains ?? []) {
      for (const f of chain.filters ?? []) {
        for (const h of f.typed_config?.http_filters ?? []) {
          if (h.name !== 'envoy.filters.http.jwt_authn') continue;
          const requirements: Json[] = (h.typed_config.rules ?? []).flatMap(
            (r: Json) => r.requires?.requires_any?.requirements ?? [r.requires],
          );
          for (const p of Object.values<Json>(h.typed_config.providers ?? {})) {
            out.push({
              issuer: p.issuer,
              audiences: p.audiences ?? [],
              jwksUri: p.remote_jwks?.http_uri?.uri,
              jwksCluster: p.remote_jwks?.http_uri?.cluster,
              forwardToken: p.forward === true,
              tokenOptional: requirements.some((r) => r?.allow_missing !== undefined),
            });
          }
        }
      }
    }
  }
  return out;
}
