/**
 * A minimal SMTP server that accepts every message and stores it as an .eml file, so
 * the `smtp` binding sends real mail locally and tests can read what was sent.
 * It speaks just enough SMTP for a client without TLS or AUTH (Dapr's smtp binding
 * skips both when the server does not offer them).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export function startSmtpSink(port: number, mailDir: string, host = '127.0.0.1'): Promise<Server> {
  let sequence = 0;
  const store = async (envelope: { from: string; to: string[] }, data: string) => {
    await mkdir(mailDir, { recursive: true });
    sequence += 1;
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${sequence}.eml`;
    const header = `X-Envelope-From: ${envelope.from}\r\nX-Envelope-To: ${envelope.to.join(', ')}\r\n`;
    await writeFile(path.join(mailDir, name), header + data);
  };
  const server = createServer((socket) => session(socket, store));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function session(socket: Socket, store: (envelope: { from: string; to: string[] }, data: string) => Promise<void>): void {
  let from = '';
  let to: string[] = [];
  let buffer = '';
  let inData = false;
  const reply = (line: string) => socket.write(`${line}\r\n`);
  const reset = () => {
    from = '';
    to = [];
  };
  reply('220 meshmart-smtp-sink ready');
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', async (chunk: string) => {
    buffer += chunk;
    socket.pause();
    try {
      while (true) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            if (buffer.length > MAX_MESSAGE_BYTES) {
              reply('552 message too large');
              socket.end();
            }
            return;
          }
          // Undo dot-stuffing (RFC 5321 4.5.2).
          const data = buffer.slice(0, end + 2).replace(/\r\n\.\./g, '\r\n.');
          buffer = buffer.slice(end + 5);
          inData = false;
          await store({ from, to }, data);
          reset();
          reply('250 stored');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-meshmart-smtp-sink\r\n250-8BITMIME\r\n250 SIZE 10485760');
        else if (verb === 'HELO') reply('250 meshmart-smtp-sink');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          reply('250 ok');
        } else if (verb === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 ok');
        } else if (verb === 'DATA') {
          if (to.length === 0) reply('554 no valid recipients');
          else {
            inData = true;
            reply('354 end data with <CR><LF>.<CR><LF>');
          }
        } else if (verb === 'RSET') {
          reset();
          reply('250 ok');
        } else if (verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
          return;
        } else reply('502 command not implemented');
      }
    } finally {
      socket.resume();
    }
  });
}
