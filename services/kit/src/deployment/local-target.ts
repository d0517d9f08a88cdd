/**
 * Facts only the local target has: one machine, loopback addresses, fixed ports for the
 * private infrastructure and a block of ports per service, fixed development credentials.
 */
import type { ServiceName, ServiceSpec } from '../topology.ts';

export const loopback = '127.0.0.1';

/**
 * Infrastructure gets fixed ports away from each product's default, so a system
 * PostgreSQL or Redis can keep running next to the stack, and below the kernel's
 * ephemeral range (32768-60999 on Linux), where the local end of any outgoing
 * connection may already hold the port when a server wants to bind it.
 */
export const infraPorts = {
  postgres: 21432,
  redis: 21379,
  rabbitmq: 21672,
  /** Erlang distribution, for rabbitmqctl. */
  rabbitmqDist: 21673,
  /** A private Erlang port mapper, so a system RabbitMQ's epmd is never shared. */
  rabbitmqEpmd: 21674,
  ferretdb: 27027,
  /** FerretDB's own metrics and pprof server, moved off its default 8088. */
  ferretdbDebug: 27028,
  /** The PostgreSQL server FerretDB keeps its documents in, apart from the services' one. */
  ferretdbPostgres: 27029,
  jaegerUi: 16687,
  jaegerQueryGrpc: 16688,
  /** Jaeger's health check, moved off the collector's default 13133. */
  jaegerHealth: 16689,
  jaegerOtlpGrpc: 14317,
  jaegerOtlpHttp: 14318,
  prometheus: 19090,
  /** Local SMTP sink behind the `smtp` binding; mail lands in .data/mail. */
  smtp: 10025,
} as const;

/**
 * Credentials of the private, loopback-only infrastructure. They are fixed rather than
 * random because the committed dapr/ files for `dapr run -f .` must carry them too;
 * nothing outside this machine can reach these servers.
 */
export const localCredentials = {
  postgres: { user: 'meshmart', password: 'meshmart-local' },
  rabbitmq: { user: 'meshmart', password: 'meshmart-local' },
  /** The admin users bootstraps; its password reaches users through the Dapr secret store. */
  admin: { email: 'admin@meshmart.local', password: 'meshmart-admin-local' },
} as const;

export interface LocalServicePorts {
  /** The app port (the sidecar's --app-port). */
  app: number;
  /** Plain-HTTP /healthz, /readyz and /metrics for apps whose app port speaks only gRPC. */
  admin?: number;
  daprHttp: number;
  daprGrpc: number;
  daprInternalGrpc: number;
  daprMetrics: number;
}

/** Ports people type: the gateway keeps its in-cluster port. */
const fixedAppPorts: Partial<Record<ServiceName, number>> = { gateway: 3000 };

const SERVICE_BLOCK_START = 24000;
const SERVICE_BLOCK_SIZE = 10;

/**
 * A block of ports per service in topology order, so a service's ports only change when
 * the topology gains a service before it.
 */
export function localServicePorts(topology: readonly ServiceSpec[], name: ServiceName): LocalServicePorts {
  const index = topology.findIndex((s) => s.name === name);
  const spec = topology[index];
  if (!spec) throw new Error(`unknown service ${name}`);
  const base = SERVICE_BLOCK_START + index * SERVICE_BLOCK_SIZE;
  return {
    app: fixedAppPorts[name] ?? base,
    ...(spec.adminPort === undefined ? {} : { admin: base + 1 }),
    daprHttp: base + 2,
    daprGrpc: base + 3,
    daprInternalGrpc: base + 4,
    daprMetrics: base + 5,
  };
}

/** Files the local components point at: absolute for the runner, repo-relative for dapr/. */
export interface LocalFiles {
  secretsFile: string;
  blobDir: string;
  nameResolutionDb: string;
}

export const postgresUrl = (database: string, port: number = infraPorts.postgres): string => {
  const { user, password } = localCredentials.postgres;
  return `postgres://${user}:${password}@${loopback}:${port}/${database}`;
};

export const mongoUrl = (database: string): string => `mongodb://${loopback}:${infraPorts.ferretdb}/${database}`;

export const localJaegerUrl = `http://${loopback}:${infraPorts.jaegerUi}`;

/** Jaeger's OTLP/HTTP receiver, where apps export their spans. */
export const localOtlpHttpEndpoint = `http://${loopback}:${infraPorts.jaegerOtlpHttp}`;
