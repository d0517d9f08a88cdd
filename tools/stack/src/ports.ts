/**
 * Every loopback port the local stack uses: the plan's (services/kit/src/deployment/
 * local-target.ts), listed with their owners for clash checks and the printed table.
 */
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
