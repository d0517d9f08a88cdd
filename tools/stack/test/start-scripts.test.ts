/**
 * What runs when a single service or the SMTP sink starts: compiled code under plain
 * node, as in the stack and the images, never the tsx loader at run time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { smtpSinkArgs } from '../src/infra/smtp-sink.ts';
import { repoRoot } from '../src/paths.ts';

/** Why a service's `npm start` script is not the bundle runner, or undefined when it is. */
function startScriptProblem(name: string, script: string | undefined): string | undefined {
  if (script === undefined) return `${name} has no start script`;
  if (/\btsx\b/.test(script)) return `${name} starts through tsx: ${script}`;
  if (!script.endsWith(`tools/dapr-run/bundled ${name}`)) return `${name} does not run its bundle: ${script}`;
  return undefined;
}

describe('start scripts', () => {
  it("run each service's bundle through the same runner as dapr run, without tsx", () => {
    const services = readdirSync(path.join(repoRoot, 'services')).filter((name) =>
      existsSync(path.join(repoRoot, 'services', name, 'src', 'main.ts')),
    );
    assert.ok(services.length >= 13, `found only ${services.join(', ')}`);
    for (const name of services) {
      const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'services', name, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      assert.equal(startScriptProblem(name, manifest.scripts?.start), undefined);
    }
  });

  it('flag a script that runs TypeScript through tsx or another service', () => {
    assert.match(startScriptProblem('qr', 'node --import tsx src/main.ts') ?? '', /through tsx/);
    assert.match(startScriptProblem('qr', 'bash ../../tools/dapr-run/bundled links') ?? '', /does not run its bundle/);
  });

  it('start the SMTP sink under plain node, and it greets a client', async function () {
    this.timeout(20_000);
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'smtp-sink-start-'));
    const args = smtpSinkArgs(port, dir);
    assert.ok(!args.some((a) => a.includes('tsx')), args.join(' '));
    const sink = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    sink.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      assert.match(await greeting(port, () => sink.exitCode !== null), /^220 /, stderr);
    } finally {
      sink.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The first line the server at `port` sends, retrying while it starts; fails once `exited`. */
async function greeting(port: number, exited: () => boolean): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited()) throw new Error('the sink exited before listening');
    const line = await new Promise<string | undefined>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        resolve(chunk.toString().split('\r\n')[0]);
      });
      socket.once('error', () => resolve(undefined));
    });
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${port} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
