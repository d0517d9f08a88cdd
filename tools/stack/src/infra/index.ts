/**
 * Private infrastructure for the stack and for integration tests. Each component is
 * started only when its port is closed, so a second caller (another test run, `stack up`
 * while tests ran) reuses what is up; stop() stops only what this call started.
 */
import { appsUsing } from '@meshmart/kit/topology';
import { bold } from '../console.ts';
import { type Child, logFileOf, reportUnexpectedExit } from '../processes.ts';
import { type Awaited, assertPortBindable, isPortOpen, waitForAll } from '../readiness.ts';
import type { InfraComponent, InfraName } from './component.ts';
import { ferretdb } from './ferretdb.ts';
import { jaeger } from './jaeger.ts';
import { postgres } from './postgres.ts';
import { prometheus } from './prometheus.ts';
import { rabbitmq } from './rabbitmq.ts';
import { redis } from './redis.ts';
import { smtpSink } from './smtp-sink.ts';

export type { InfraName } from './component.ts';

const components: Record<InfraName, InfraComponent> = {
  postgres,
  redis,
  rabbitmq,
  ferretdb,
  jaeger,
  prometheus,
  smtp: smtpSink,
};

/**
 * Components this process started and that still run, whichever call started them: an
 * outage test may stop and restart a store an earlier test file of the same run started
 * (integration files keep theirs up for the rest of the run), never one another process
 * runs.
 */
const startedByThisProcess = new Map<InfraName, Child[]>();

/** Every port a component listens on. */
export function infraPortsOf(name: InfraName): number[] {
  return [components[name].port, ...(components[name].alsoOn ?? [])];
}

/** Up means every one of its ports is open (FerretDB with its PostgreSQL). */
export async function isInfraUp(name: InfraName): Promise<boolean> {
  return (await Promise.all(infraPortsOf(name).map((port) => isPortOpen(port)))).every(Boolean);
}

/** What services keep their data in; integration tests need only these. */
export const dataStores: InfraName[] = ['postgres', 'redis', 'rabbitmq', 'ferretdb'];

/** Everything `stack up` runs; the SMTP sink only once a service sends mail. */
export function fullInfra(): InfraName[] {
  return [...dataStores, 'jaeger', 'prometheus', ...(appsUsing('smtp').length > 0 ? (['smtp'] as const) : [])];
}

export interface InfraOptions {
  only?: InfraName[];
  quiet?: boolean;
  timeoutMs?: number;
}

export interface Infra {
  /** Components this call started (the rest were already up). */
  started: InfraName[];
  reused: InfraName[];
  /** Stops what this call started, newest first. */
  stop(): Promise<void>;
  /** Stops one component this call started, e.g. to test an outage. */
  stopOne(name: InfraName): Promise<void>;
}

/**
 * A component of several processes with some of them gone (FerretDB still listening
 * after its PostgreSQL stopped) cannot be reused; what this process started is stopped
 * so that it starts whole again, and anything else is named.
 */
async function stopHalfUp(name: InfraName, ports: number[]): Promise<void> {
  const open = await Promise.all(ports.map((port) => isPortOpen(port)));
  if (!open.some(Boolean)) return;
  const own = startedByThisProcess.get(name);
  if (!own) {
    const listed = ports.map((port, i) => `${port} ${open[i] ? 'open' : 'closed'}`).join(', ');
    throw new Error(`${name} is half up (${listed}) and was started elsewhere: stop it (npm run stack -- down) and start again`);
  }
  await stopNewestFirst(own);
  startedByThisProcess.delete(name);
}

async function stopNewestFirst(children: Child[]): Promise<void> {
  for (const child of [...children].reverse()) await child.stop();
}

/** Drops `name` from the components this process runs, unless a later start replaced `children`. */
function forget(name: InfraName, children: Child[]): void {
  if (startedByThisProcess.get(name) === children) startedByThisProcess.delete(name);
}

/** Components this process started whose processes all still run. */
export function infraStartedHere(): InfraName[] {
  return [...startedByThisProcess].filter(([, own]) => own.every((c) => c.running)).map(([name]) => name);
}

/** Stops every component this process started, newest first: before wiping their data, say. */
export async function stopInfraStartedHere(): Promise<void> {
  for (const name of [...startedByThisProcess.keys()].reverse()) {
    await stopNewestFirst(startedByThisProcess.get(name) ?? []);
    startedByThisProcess.delete(name);
  }
}

export async function startInfra(options: InfraOptions = {}): Promise<Infra> {
  const names = options.only ?? dataStores;
  const started: InfraName[] = [];
  const reused: InfraName[] = [];
  const children: Child[] = [];
  const childrenOf = new Map<InfraName, Child[]>();
  const awaited: Awaited[] = [];
  const stop = async () => {
    await stopNewestFirst(children);
    for (const [name, own] of childrenOf) forget(name, own);
  };
  const stopOne = async (name: InfraName) => {
    const adopted = reused.includes(name) ? startedByThisProcess.get(name) : undefined;
    const own = childrenOf.get(name) ?? (adopted?.every((c) => c.running) ? adopted : undefined);
    if (!own) {
      const why = reused.includes(name) ? 'another process runs it' : 'it was not asked for';
      throw new Error(`${name} was not started by this process (${why})`);
    }
    await stopNewestFirst(own);
    childrenOf.delete(name);
    forget(name, own);
  };
  try {
    // allSettled: a failure must not leave siblings starting after we stopped the rest.
    const results = await Promise.allSettled(
      names.map(async (name) => {
        const component = components[name];
        const ports = infraPortsOf(name);
        const ready = async () => (await isInfraUp(name)) && (component.ready ? await component.ready() : true);
        if (await isInfraUp(name)) {
          reused.push(name);
          awaited.push({ label: name, ready, logFile: logFileOf(name) });
          return;
        }
        await stopHalfUp(name, ports);
        for (const port of ports) await assertPortBindable(port, name);
        const own = await component.start();
        for (const child of own) reportUnexpectedExit(child);
        children.push(...own);
        childrenOf.set(name, own);
        startedByThisProcess.set(name, own);
        started.push(name);
        awaited.push({ label: name, ready, child: own.at(-1) });
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (!options.quiet && reused.length > 0) process.stdout.write(`  reusing running ${reused.join(', ')}\n`);
    await waitForAll(awaited, { title: 'infrastructure', timeoutMs: options.timeoutMs ?? 90_000, quiet: options.quiet });
    for (const name of names) await components[name].afterReady?.();
  } catch (err) {
    await stop();
    throw err;
  }
  if (!options.quiet && started.length > 0) process.stdout.write(`  ${bold('infrastructure')} up: ${started.join(', ')}\n`);
  return { started, reused, stop, stopOne };
}
