import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSmtpSink } from '../src/infra/smtp-sink-server.ts';

/** Sends `lines` one at a time, each after the server's previous reply. */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.setEncoding('utf8');
  const replies: string[] = [];
  let pending = '';
  const nextReply = () =>
    new Promise<string>((resolve) => {
      const onData = (chunk: string) => {
        pending += chunk;
        // A reply ends with a line whose code is followed by a space.
        const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(pending);
        if (!match) return;
        socket.off('data', onData);
        resolve(pending);
        pending = '';
      };
      socket.on('data', onData);
    });
  replies.push(await nextReply());
  for (const line of lines) {
    socket.write(`${line}\r\n`);
    replies.push(await nextReply());
  }
  socket.end();
  return replies.map((r) => r.slice(0, 3));
}

describe('SMTP sink', () => {
  let dir: string;
  let server: Server;
  let port: number;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'smtp-sink-'));
    server = await startSmtpSink(0, dir);
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores each message as an .eml file with its envelope', async () => {
    const codes = await converse(port, [
      'EHLO test',
      'MAIL FROM:<shop@meshmart.local>',
      'RCPT TO:<ada@example.com>',
      'DATA',
      'Subject: Your order\r\n\r\nThanks!\r\n..leading dot\r\n.',
      'QUIT',
    ]);
    assert.deepEqual(codes, ['220', '250', '250', '250', '354', '250', '221']);
    const [file] = await readdir(dir);
    assert.ok(file);
    assert.match(file, /\.eml$/);
    const mail = await readFile(path.join(dir, file), 'utf8');
    assert.match(mail, /^X-Envelope-From: shop@meshmart\.local\r\nX-Envelope-To: ada@example\.com\r\n/);
    assert.match(mail, /Subject: Your order\r\n\r\nThanks!\r\n\.leading dot\r\n$/);
  });

  it('refuses DATA without a recipient and unknown commands', async () => {
    const codes = await converse(port, ['HELO test', 'MAIL FROM:<a@b>', 'DATA', 'VRFY x', 'QUIT']);
    assert.deepEqual(codes, ['220', '250', '250', '554', '502', '221']);
  });
});
