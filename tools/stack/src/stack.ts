/**
 * The whole local stack: private infrastructure, one real daprd per service and the
 * services themselves, with handles for end-to-end tests to stop and restart a single
 * sidecar or service.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type ServiceName, service, services as topology } from '@meshmart/kit/topology';
import { serviceEnv } from './app-env.ts';
import { appLaunch, prepareApps } from './app-launch.ts';
import { reserveNameWidth } from './console.ts';
import { daprFileLocations, writeDaprFiles } from './dapr-files.ts';
import { fullInfra, type Infra, type InfraName, startInfra } from './infra/index.ts';
import { paths, repoRoot } from './paths.ts';
import { infraPorts, probePort, type ServicePorts, servicePorts } from './ports.ts';
import { type Child, reportUnexpectedExit, startChild } from './processes.ts';
import { type Awaited, isHttpOk, isPortOpen, waitForAll } from './readiness.ts';
import { daprdArgs, daprdBinary, daprdCwd, daprdEnv, type Tokens } from './sidecar.ts';
import { type StackUrls, stackUrls } from './urls.ts';
import { ensureWebBuild } from './web-build.ts';

export interface StackOptions {
  /** Services to run; default: every topology service that has services/<name>/src/main.ts. */
  services?: ServiceName[];
  /** Send every child's output to .data/logs only (tests). */
  quiet?: boolean;
  /**
   * Print every line the services and sidecars log, not only warnings and errors (all of
   * it is in .data/logs either way).
   */
  verbose?: boolean;
  /** Extra environment per service, over the one docs/CONTRACTS.md describes. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  timeoutMs?: number;
}

export interface StackHandle {
  services: ServiceName[];
  urls: StackUrls;
  ports: { infra: typeof infraPorts; services: Partial<Record<ServiceName, ServicePorts>> };
  tokens: Tokens;
  /** The apps and sidecars running now, e.g. to measure their memory. */
  processes(): Array<{ name: string; kind: 'app' | 'sidecar'; pid: number }>;
  stopSidecar(name: ServiceName): Promise<void>;
  startSidecar(name: ServiceName): Promise<void>;
  stopService(name: ServiceName): Promise<void>;
  startService(name: ServiceName): Promise<void>;
  /** Stops one piece of infrastructure this stack started (an outage test); see startInfra. */
  stopInfra(name: InfraName): Promise<void>;
  /** Starts it again; it is stopped with the stack. */
  startInfra(name: InfraName): Promise<void>;
  /** Stops services, then sidecars, then the infrastructure this call started. */
  stop(): Promise<void>;
}

export function serviceEntryPoint(name: ServiceName): string {
  return path.join(repoRoot, 'services', name, 'src', 'main.ts');
}

/** Topology services whose code exists yet. */
export function runnableServices(): ServiceName[] {
  return topology.map((s) => s.name).filter((name) => existsSync(serviceEntryPoint(name)));
}

const sidecarName = (name: ServiceName) => `${name}.daprd`;

/**
 * Fails when a port of these services is taken: readiness probes cannot tell our
 * processes from another stack's, so starting anyway would report a stack that is not ours.
 */
async function ensurePortsFree(names: ServiceName[]): Promise<void> {
  const taken: string[] = [];
  for (const name of names) {
    for (const [role, port] of Object.entries(servicePorts(name))) {
      if (await isPortOpen(port)) taken.push(`${name} ${role} ${port}`);
    }
  }
  if (taken.length > 0) {
    throw new Error(`ports already in use: ${taken.join(', ')}; is another stack running? (npm run stack -- status)`);
  }
}

export async function startStack(options: StackOptions = {}): Promise<StackHandle> {
  if (!existsSync(daprdBinary)) throw new Error(`${daprdBinary} is missing; run npm run setup`);
  const selected = options.services ?? runnableServices();
  const missing = selected.filter((name) => !existsSync(serviceEntryPoint(name)));
  if (missing.length > 0) throw new Error(`no entry point for ${missing.map(serviceEntryPoint).join(', ')}`);
  const quiet = options.quiet ?? false;
  const output = quiet ? 'file' : options.verbose ? 'console' : 'warnings';
  const timeoutMs = options.timeoutMs ?? 120_000;
  reserveNameWidth(selected.flatMap((name) => [name, sidecarName(name)]));

  await ensurePortsFree(selected);
  if (selected.includes('web')) ensureWebBuild({ quiet });
  await prepareApps(selected, { quiet });
  const infra: Infra = await startInfra({ only: fullInfra(), quiet, timeoutMs });
  const tokens: Tokens = { daprApiToken: randomBytes(24).toString('hex'), appApiToken: randomBytes(24).toString('hex') };
  const apps = new Map<ServiceName, Child>();
  const sidecars = new Map<ServiceName, Child>();

  const launchSidecar = (name: ServiceName): Awaited => {
    const child = startChild({
      name: sidecarName(name),
      command: daprdBinary,
      args: daprdArgs(name),
      env: daprdEnv(name, tokens),
      cwd: daprdCwd,
      output,
    });
    reportUnexpectedExit(child);
    sidecars.set(name, child);
    const url = `http://127.0.0.1:${servicePorts(name).daprHttp}/v1.0/healthz`;
    return { label: child.name, ready: () => isHttpOk(url), child };
  };

  const launchApp = (name: ServiceName): Awaited => {
    const child = startChild({
      name,
      ...appLaunch(name),
      env: { ...serviceEnv(name, tokens), ...options.env?.[name] },
      cwd: repoRoot,
      output,
    });
    reportUnexpectedExit(child);
    apps.set(name, child);
    const url = `http://127.0.0.1:${probePort(name)}/readyz`;
    return { label: name, ready: () => isHttpOk(url), child };
  };

  const sidecarAfterAppPort = (name: ServiceName): Awaited => {
    let launched: Awaited | undefined;
    return {
      label: sidecarName(name),
      get child() {
        return launched?.child;
      },
      async ready() {
        if (!launched) {
          if (!(await isPortOpen(servicePorts(name).app))) return false;
          launched = launchSidecar(name);
        }
        return launched.ready();
      },
    };
  };

  const restarted: Infra[] = [];
  const stopAll = async () => {
    await Promise.all([...apps.values()].map((c) => c.stop()));
    await Promise.all([...sidecars.values()].map((c) => c.stop()));
    apps.clear();
    sidecars.clear();
    for (const again of restarted.reverse()) await again.stop();
    await infra.stop();
  };

  try {
    await writeDaprFiles(daprFileLocations('run'));
    await mkdir(paths.blobs, { recursive: true });
    // Sidecar and app start together: daprd waits for the app port, the app's readiness
    // waits for its sidecar. A gRPC-only app's sidecar starts once the app port accepts
    // connections: daprd dials it at start and, when refused, backs off for long enough
    // that calls proxied to the app fail for the rest of a short run.
    const awaited = selected.flatMap((name) =>
      service(name).appProtocol === 'grpc'
        ? [launchApp(name), sidecarAfterAppPort(name)]
        : [launchSidecar(name), launchApp(name)],
    );
    await waitForAll(awaited, { title: 'services', timeoutMs, quiet });
  } catch (err) {
    await stopAll();
    throw err;
  }

  const stopOne = async (children: Map<ServiceName, Child>, name: ServiceName) => {
    const child = children.get(name);
    if (!child) throw new Error(`${name} is not running in this stack`);
    children.delete(name);
    await child.stop();
  };
  const startOne = async (launch: (name: ServiceName) => Awaited, children: Map<ServiceName, Child>, name: ServiceName) => {
    if (!selected.includes(name)) throw new Error(`${name} is not part of this stack`);
    if (children.has(name)) throw new Error(`${name} is already running`);
    await waitForAll([launch(name)], { title: name, timeoutMs, quiet: true });
  };

  return {
    services: selected,
    urls: stackUrls(selected),
    ports: { infra: infraPorts, services: Object.fromEntries(selected.map((name) => [name, servicePorts(name)])) },
    tokens,
    processes: () => [
      ...[...apps.values()].map((c) => ({ name: c.name, kind: 'app' as const, pid: c.pid })),
      ...[...sidecars.values()].map((c) => ({ name: c.name, kind: 'sidecar' as const, pid: c.pid })),
    ],
    stopSidecar: (name) => stopOne(sidecars, name),
    startSidecar: (name) => startOne(launchSidecar, sidecars, name),
    stopService: (name) => stopOne(apps, name),
    startService: (name) => startOne(launchApp, apps, name),
    // After a restart the component belongs to the Infra that started it again.
    stopInfra: (name) => ([...restarted].reverse().find((again) => again.started.includes(name)) ?? infra).stopOne(name),
    startInfra: async (name) => {
      restarted.push(await startInfra({ only: [name], quiet, timeoutMs }));
    },
    stop: stopAll,
  };
}
