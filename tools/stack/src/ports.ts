/**
 * Every loopback port the local stack uses. Infrastructure gets fixed ports away from
 * each product's default, so a system PostgreSQL or Redis can keep running; apps and
 * their sidecars get a block of ports each, in topology order, so a service's ports
 * only change when the topology gains a service before it.
 */
import { type ServiceName, services } from '@meshmart/kit/topology';

export const infraPorts = {
  postgres: 54329,
  redis: 63790,
  rabbitmq: 56720,
  /** Erlang distribution, for rabbitmqctl. */
  rabbitmqDist: 56721,
  /** A private Erlang port mapper, so a system RabbitMQ's epmd is never shared. */
  rabbitmqEpmd: 56722,
  ferretdb: 27027,
  /** FerretDB's own metrics and pprof server, moved off its default 8088. */
  ferretdbDebug: 27028,
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

export interface ServicePorts {
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

export function servicePorts(name: ServiceName): ServicePorts {
  const index = services.findIndex((s) => s.name === name);
  const spec = services[index];
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

/** Where /healthz, /readyz and /metrics answer for a service. */
export function probePort(name: ServiceName): number {
  const ports = servicePorts(name);
  return ports.admin ?? ports.app;
}

/** Every port of the stack with its owner, for clash checks and the printed table. */
export function allPorts(): Array<{ owner: string; role: string; port: number }> {
  const infra = Object.entries(infraPorts).map(([role, port]) => ({ owner: 'infra', role, port }));
  const apps = services.flatMap((s) =>
    Object.entries(servicePorts(s.name)).map(([role, port]) => ({ owner: s.name, role, port })),
  );
  return [...infra, ...apps];
}
