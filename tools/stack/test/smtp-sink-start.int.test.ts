/**
 * The SMTP sink as `npm start` and the stack start it: compiled code under plain node,
 * never the tsx loader at run time, and it answers a client.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { smtpSinkArgs } from '../src/infra/smtp-sink.ts';

describe('SMTP sink start', () => {
  it('starts under plain node, and it greets a client', async function () {
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
