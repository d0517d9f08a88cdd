/**
 * Every loopback port the local stack uses: the plan's (services/kit/src/deployment/
 * local-target.ts), listed with their owners for clash checks and the printed table.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { infraPorts, type LocalServicePorts, localServicePorts } from '@meshmart/kit/deployment/local-target';
import { type ServiceName, type ServiceSpec, services } from '@meshmart/kit/topology';
import { localServicePlan } from './local-plan.ts';

export { infraPorts };
export type ServicePorts = LocalServicePorts;

export function servicePorts(name: ServiceName, topology: readonly ServiceSpec[] = services): ServicePorts {
  return localServicePorts(topology, name);
}

/** Where /healthz, /readyz and /metrics answer for a service. */
export function probePort(name: ServiceName): number {
  return localServicePlan(name).ports.probe;
}

/** Every port of the stack with its owner, for clash checks and the printed table. */
export function allPorts(): Array<{ owner: string; role: string; port: number }> {
  const infra = Object.entries(infraPorts).map(([role, port]) => ({ owner: 'infra', role, port }));
  const apps = services.flatMap((s) =>
    Object.entries(servicePorts(s.name)).map(([role, port]) => ({ owner: s.name, role, port })),
  );
  return [...infra, ...apps];
}

/**
 * The ports the kernel hands out as the local end of outgoing connections. A fixed
 * listening port inside it can be taken by any client socket before its server binds.
 */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): { low: number; high: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // Linux's default, for machines without this file; any other failure is an answer we lack.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { low: 32768, high: 60999 };
    throw err;
  }
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new Error(`${file}: expected two ports, got "${text.trim()}"`);
  return { low: low as number, high: high as number };
}

/** Loopback ports nothing listens on right now, for a server started on the side. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
    }),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}
