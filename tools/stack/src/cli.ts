/**
 * npm run stack -- <command>
 *   up [--reset] [--verbose]   infrastructure, sidecars and services in the foreground
 *                      (default); the console shows their warnings and errors, --verbose
 *                      every line (all of it is in .data/logs/<name>.log)
 *   infra              only the infrastructure, for `dapr run -f .`
 *   build [service…]   rebuilds the services' stale bundles (up does it first), default all
 *   down               stops a stack or infrastructure left running
 *   status             what is running
 *   reset              down, then wipes .data/
 *   write-dapr-files   regenerates dapr/ and dapr.yaml from the topology
 *   write-contracts    regenerates the plan's tables in docs/CONTRACTS.md
 *   plan-diff [--all]  local vs cluster deployment plan: component metadata (--all: also
 *                      env, sidecars, resiliency), each difference with its target reason;
 *                      exits 1 on a difference without one
 *   flag list | set <key> <value> | clear [key…]   fault flags (services/kit/src/fault-flags.ts)
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deploymentPlan } from '@meshmart/kit/deployment/plan';
import { planDiff, renderPlanDiff, unexplainedDifferences } from '@meshmart/kit/deployment/plan-diff';
import { services as topology } from '@meshmart/kit/topology';
import { prepareApps } from './app-launch.ts';
import { bold, dim, green, red } from './console.ts';
import { contractsDocPath, renderContractsDoc } from './contracts-doc.ts';
import { daprFileLocations, writeDaprFiles } from './dapr-files.ts';
import { clearFlags, flagTable, listFlags, setFlag } from './flags.ts';
import { fullInfra, infraPortsOf, isInfraUp, startInfra } from './infra/index.ts';
import { dataDir, paths, repoRoot } from './paths.ts';
import { probePort, servicePorts } from './ports.ts';
import { isAlive, killChildrenSync, recordedProcesses, sleep, stopAllChildren, stopRecorded } from './processes.ts';
import { isHttpOk } from './readiness.ts';
import { renderRunFile } from './run-file.ts';
import { runnableServices, serviceEntryPoint, startStack } from './stack.ts';
import { infraSummary, stackSummary } from './summary.ts';

function runningRunner(): number | undefined {
  if (!existsSync(paths.runnerPid)) return undefined;
  const pid = Number(readFileSync(paths.runnerPid, 'utf8'));
  return Number.isInteger(pid) && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

async function releaseRunner(): Promise<void> {
  if (existsSync(paths.runnerPid) && readFileSync(paths.runnerPid, 'utf8') === String(process.pid)) await rm(paths.runnerPid);
}

async function claimRunner(): Promise<void> {
  const other = runningRunner();
  if (other !== undefined) throw new Error(`a stack is already running (pid ${other}); stop it with: npm run stack -- down`);
  await mkdir(paths.run, { recursive: true });
  await writeFile(paths.runnerPid, String(process.pid));
}

/**
 * Keeps the runner alive until a signal: infrastructure children are detached and
 * unreferenced (tests leave them running), so nothing else holds the event loop.
 */
function stayInForeground(): void {
  setInterval(() => {}, 1 << 30);
}

/**
 * Stops children on SIGINT/SIGTERM with `stop` (graceful, reverse order); a second
 * signal kills them at once.
 */
function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stdout.write(red('\nkilling everything\n'));
      killChildrenSync(true);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${bold(`${signal}: stopping`)} ${dim('(again to kill)')}\n`);
    try {
      await stop();
    } finally {
      await releaseRunner();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function up(args: string[]): Promise<void> {
  if (args.includes('--reset')) await reset();
  await claimRunner();
  let stopStack: () => Promise<void> = stopAllChildren;
  stopOnSignal(() => stopStack());
  const skipped = topology.filter((s) => !existsSync(serviceEntryPoint(s.name))).map((s) => s.name);
  if (skipped.length > 0) process.stdout.write(dim(`  not started (no src/main.ts yet): ${skipped.join(', ')}\n`));
  const verbose = args.includes('--verbose');
  const handle = await startStack({ services: runnableServices(), verbose });
  stopStack = handle.stop;
  process.stdout.write(stackSummary(handle.urls, handle.services));
  if (!verbose) {
    process.stdout.write(
      dim(`Showing warnings and errors; every line is in ${paths.logs}/ (npm start -- --verbose streams all).\n`),
    );
  }
  stayInForeground();
}

async function infra(): Promise<void> {
  await claimRunner();
  let stopInfra: () => Promise<void> = stopAllChildren;
  stopOnSignal(() => stopInfra());
  const started = await startInfra({ only: fullInfra() });
  stopInfra = started.stop;
  process.stdout.write(`\n${infraSummary()}\n\n${dim('Now: dapr run -f .   Stop: Ctrl-C')}\n`);
  stayInForeground();
}

async function build(names: string[]): Promise<void> {
  const runnable = runnableServices();
  const unknown = names.filter((name) => !(runnable as string[]).includes(name));
  if (unknown.length > 0) throw new Error(`no such service with code: ${unknown.join(', ')}; one of: ${runnable.join(', ')}`);
  await prepareApps(names.length > 0 ? names : runnable);
}

async function down(): Promise<void> {
  const runner = runningRunner();
  if (runner !== undefined) {
    process.stdout.write(`stopping the runner (pid ${runner})\n`);
    process.kill(runner, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (isAlive(runner) && Date.now() < deadline) await sleep(200);
  }
  for (const record of recordedProcesses()) {
    process.stdout.write(`stopping ${record.name} (pid ${record.pid})\n`);
    await stopRecorded(record);
  }
  await rm(paths.runnerPid, { force: true });
}

async function reset(): Promise<void> {
  await down();
  await rm(dataDir, { recursive: true, force: true });
  process.stdout.write(`wiped ${dataDir}\n`);
}

const _shownInfraPorts = [
  'postgres',
  'redis',
  'rabbitmq',
  'ferretdb',
  'jaegerUi',
  'jaegerOtlpGrpc',
  'prometheus',
  'smtp',
] as const;

async function status(): Promise<void> {
  const mark = (ok: boolean) => (ok ? green('up  ') : red('down'));
  const runner = runningRunner();
  process.stdout.write(`runner: ${runner === undefined ? 'none' : `pid ${runner}`}\n`);
  for (const name of fullInfra()) {
    process.stdout.write(`  ${mark(await isInfraUp(name))} ${name.padEnd(22)} ${infraPortsOf(name).join(', ')}\n`);
  }
  for (const s of topology) {
    const ports = servicePorts(s.name);
    const app = await isHttpOk(`http://127.0.0.1:${probePort(s.name)}/readyz`);
    // Outbound health: under `dapr run -f .` the full /v1.0/healthz also counts placement
    // and scheduler, which meshmart does not use.
    const sidecar = await isHttpOk(`http://127.0.0.1:${ports.daprHttp}/v1.0/healthz/outbound`);
    process.stdout.write(`  ${mark(app)} ${s.name.padEnd(22)} ${ports.app}   ${mark(sidecar)} daprd ${ports.daprHttp}\n`);
  }
  const records = recordedProcesses();
  if (records.length > 0) process.stdout.write(`processes: ${records.map((r) => `${r.name}(${r.pid})`).join(' ')}\n`);
}

async function writeStaticDaprFiles(): Promise<void> {
  await writeDaprFiles(daprFileLocations('static'));
  await writeFile(paths.staticRunFile, renderRunFile());
  process.stdout.write(`wrote ${paths.staticDaprDir}/ and ${paths.staticRunFile}\n`);
}

async function flag([action = 'list', ...args]: string[]): Promise<void> {
  if (action === 'set') {
    const [key, value] = args;
    if (key === undefined || value === undefined) throw new Error('usage: flag set <key> <value>');
    const followed = await setFlag(key, value);
    process.stdout.write(`${key} = ${value} ${dim(`(services follow ${followed})`)}\n`);
  } else if (action === 'clear') {
    process.stdout.write(`cleared ${(await clearFlags(args)).join(', ')}\n`);
  } else if (action !== 'list') {
    throw new Error(`unknown flag action ${action}; one of: list, set, clear`);
  }
  process.stdout.write(`${flagTable(await listFlags())}\n`);
}

async function writeContracts(): Promise<void> {
  const file = path.join(repoRoot, contractsDocPath);
  await writeFile(file, renderContractsDoc(await readFile(file, 'utf8')));
  process.stdout.write(`wrote ${file}\n`);
}

async function planDiffCommand(args: string[]): Promise<void> {
  const rows = planDiff(deploymentPlan('local'), deploymentPlan('cluster'));
  process.stdout.write(renderPlanDiff(rows, { onlyComponents: !args.includes('--all') }));
  const drift = unexplainedDifferences(rows);
  if (drift.length > 0) {
    process.stderr.write(red(`${drift.length} difference(s) without a target reason\n`));
    process.exitCode = 1;
  }
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  up,
  infra,
  build,
  down,
  status,
  reset,
  'write-dapr-files': writeStaticDaprFiles,
  'plan-diff': planDiffCommand,
  'write-contracts': writeContracts,
  flag,
};

const [command = 'up', ...rest] = process.argv.slice(2);
const run = commands[command];
if (!run) {
  process.stderr.write(`unknown command ${command}; one of: ${Object.keys(commands).join(', ')}\n`);
  process.exit(2);
}
try {
  await run(rest);
} catch (err) {
  process.stderr.write(`\n${red('✖')} ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAllChildren();
  await releaseRunner();
  process.exit(1);
}
