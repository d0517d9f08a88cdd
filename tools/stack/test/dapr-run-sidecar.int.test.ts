/**
 * dapr.yaml's promise, checked on a real daprd: started the way the Dapr CLI starts it
 * from the run file (the CLI's flag mapping for the fields dapr.yaml sets is restated
 * here, since the CLI itself is not part of setup), through the runtimePath daprd, every
 * listener is on loopback and the Dapr API refuses a call without the token. The same
 * daprd started without tools/dapr-run/daprd listens beyond loopback and answers anyone:
 * that is what the check must catch. Last, what a CLI user without `dapr init` runs into:
 * placement and scheduler addresses with nothing behind them make daprd's own health
 * fail, and the apps' readiness must not follow it, only the stores they need.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Sidecar, sidecarReadiness } from '@meshmart/kit';
import type { ServiceName } from '@meshmart/kit/topology';
import { eventually, freePorts } from '@meshmart/test-support';
import { type Infra, startInfra } from '../src/infra/index.ts';
import { dataDir, repoRoot, toolsBin } from '../src/paths.ts';
import { runFile } from '../src/run-file.ts';

interface Listener {
  port: number;
  address: string;
}

/** Listening TCP sockets on `ports`, from /proc/net/tcp and tcp6 (state 0A). */
async function listeners(ports: number[]): Promise<Listener[]> {
  const found: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readFile(file, 'utf8')).split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue;
      const [hexAddress = '', hexPort = ''] = local.split(':');
      const port = Number.parseInt(hexPort, 16);
      if (ports.includes(port)) found.push({ port, address: decodeAddress(hexAddress) });
    }
  }
  return found;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8)
    return (hex.match(/../g) ?? [])
      .reverse()
      .map((b) => Number.parseInt(b, 16))
      .join('.');
  if (/^0{24}01000000$/.test(hex)) return '::1';
  if (/^0+$/.test(hex)) return '::';
  if (/^0{20}FFFF0000/i.test(hex)) return `::ffff:${decodeAddress(hex.slice(24))}`;
  return hex;
}

const isLoopback = (address: string) => /^(127\.|::1$|::ffff:127\.)/.test(address);

interface RunFileCommon {
  apiListenAddresses: string;
  runtimePath: string;
  logLevel: string;
  placementHostAddress: string;
}

/** The daprd arguments the CLI derives from the fields dapr.yaml sets (ports replaced). */
function cliDaprdArgs(common: RunFileCommon, ports: number[], appId = 'exposure-probe'): string[] {
  const [http, grpc, internal, metrics] = ports.map(String);
  return [
    ...['--app-id', appId, '--dapr-http-port', http ?? '', '--dapr-grpc-port', grpc ?? ''],
    ...['--dapr-internal-grpc-port', internal ?? '', '--metrics-port', metrics ?? ''],
    ...['--dapr-listen-addresses', common.apiListenAddresses, '--log-level', common.logLevel],
    // An empty placement address is left out by the CLI, and so is the blank scheduler one.
    ...(common.placementHostAddress.trim() === '' ? [] : ['--placement-host-address', common.placementHostAddress]),
  ];
}

describe('sidecars under `dapr run -f .` (real daprd)', function () {
  this.timeout(60_000);
  const common = runFile().common as RunFileCommon;
  const children: ChildProcess[] = [];
  const { DAPR_API_TOKEN: _api, APP_API_TOKEN: _app, ...envWithoutTokens } = process.env;

  async function start(binary: string, extraArgs: string[] = [], appId?: string): Promise<number[]> {
    const ports = await freePorts(4);
    const args = [...cliDaprdArgs(common, ports, appId), ...extraArgs];
    // A GOMAXPROCS of the caller's own, so the checks below see what the wrapper sets, not what the runner had.
    const child = spawn(binary, args, { cwd: repoRoot, env: { ...envWithoutTokens, GOMAXPROCS: '7' }, stdio: 'ignore' });
    children.push(child);
    await eventually(`daprd listening on ${ports.join(', ')}`, async () =>
      (await listeners(ports)).length >= ports.length ? true : undefined,
    );
    return ports;
  }

  let infra: Infra | undefined;
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await infra?.stop();
  });

  /** A variable of the daprd started last (the wrapper execs daprd, so its pid is daprd's). */
  const daprdVariable = async (name: string): Promise<string | undefined> => {
    const pid = children.at(-1)?.pid;
    assert.ok(pid, 'no daprd started');
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    return environ.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const runtimeDaprd = () => path.join(repoRoot, common.runtimePath, '.dapr', 'bin', 'daprd');
  const apiToken = async () => {
    const tokens = await readFile(path.join(dataDir, 'dapr-run', 'tokens.env'), 'utf8');
    const token = /^DAPR_API_TOKEN=(\w+)$/m.exec(tokens)?.[1];
    assert.ok(token, 'the tokens file names DAPR_API_TOKEN');
    return token;
  };

  it('listens on loopback only and refuses Dapr API calls without the token', async () => {
    const ports = await start(runtimeDaprd());
    const open = await listeners(ports);
    assert.deepEqual(
      open.filter((l) => !isLoopback(l.address)),
      [],
      `listeners: ${JSON.stringify(open)}`,
    );
    const url = `http://127.0.0.1:${ports[0]}/v1.0/metadata`;
    assert.equal((await fetch(url)).status, 401);
    const withToken = await fetch(url, { headers: { 'dapr-api-token': await apiToken() } });
    assert.equal(withToken.status, 200);
    const metadata = (await withToken.json()) as { actorRuntime?: { runtimeStatus?: string } };
    assert.equal(metadata.actorRuntime?.runtimeStatus, 'DISABLED');
    assert.equal(await daprdVariable('GOMAXPROCS'), '1', "the wrapper exports the plan's daprd environment (dapr/daprd.env)");
  });

  it('catches the daprd the CLI would start without the wrapper: listeners beyond loopback, no token', async () => {
    const ports = await start(path.join(toolsBin, 'daprd'));
    const wide = (await listeners(ports)).filter((l) => !isLoopback(l.address)).map((l) => l.port);
    assert.deepEqual(wide.sort(), [ports[2], ports[3]].sort(), 'internal gRPC and metrics listen beyond loopback');
    assert.equal((await fetch(`http://127.0.0.1:${ports[0]}/v1.0/metadata`)).status, 200);
    assert.equal(await daprdVariable('GOMAXPROCS'), '7', "without the wrapper daprd keeps the caller's value");
  });

  it('keeps apps ready without placement and scheduler, and takes one out only with a store it needs', async function () {
    this.timeout(180_000);
    infra = await startInfra({ only: ['redis', 'rabbitmq'], quiet: true });
    // What the CLI passes when placement and scheduler are left at its defaults, with
    // nothing listening there (no `dapr init`). The committed dapr/ files, as dapr.yaml uses.
    const unreachable = (await freePorts(2)).map((p) => `127.0.0.1:${p}`);
    const ports = await start(
      runtimeDaprd(),
      [
        ...['--placement-host-address', unreachable[0] ?? '', '--scheduler-host-address', unreachable[1] ?? ''],
        ...['--resources-path', 'dapr/components', '--config', 'dapr/config.yaml'],
      ],
      'users',
    );
    const sidecar = new Sidecar({ daprHttpPort: ports[0] ?? 0, daprApiToken: await apiToken() });
    const failingWithApp = async (app: ServiceName) => {
      const results = await Promise.all(
        // Probed: no app answers here, so the call through the sidecar must be made and fail.
        sidecarReadiness(sidecar, app, () => true).map(({ name, check }) =>
          check().then(
            () => undefined,
            () => name,
          ),
        ),
      );
      return results.filter((name) => name !== undefined);
    };
    // No app runs behind this sidecar: the check that calls through it to the app must say
    // so, and the rest is about the sidecar itself.
    const failing = async (app: ServiceName) => (await failingWithApp(app)).filter((name) => name !== 'dapr-app-channel');
    await eventually('users\u2019 sidecar checks to pass', async () =>
      (await failing('users')).length === 0 ? true : undefined,
    );
    assert.deepEqual(await failingWithApp('users'), ['dapr-app-channel'], 'no users app answers behind the sidecar');
    const health = await fetch(`http://127.0.0.1:${ports[0]}/v1.0/healthz`);
    assert.equal(health.status, 500, 'daprd itself waits for placement and scheduler');
    assert.match(await health.text(), /placement|scheduler/);

    await infra.stopOne('redis');
    assert.deepEqual(
      await eventually('the state store check to fail', async () => {
        const names = await failing('users');
        return names.length > 0 ? names : undefined;
      }),
      ['statestore'],
    );
    assert.deepEqual(await failing('links'), [], 'links degrades without its cache and stays ready');
    assert.deepEqual(await failing('gateway'), [], 'the gateway\u2019s rate limits fail open');
  });
});
