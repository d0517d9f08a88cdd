import assert from 'node:assert/strict';
import { createServer, type Server, Socket } from 'node:net';
import { assertPortBindable } from '../src/readiness.ts';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.on('error', () => {}));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

// Servers such as epmd exit with status 0 and no message when their port is taken; the
// stack checks first so the failure names the port.
describe('assertPortBindable()', () => {
  it('passes for a free port', async () => {
    const probe = await listen();
    const port = portOf(probe);
    await close(probe);
    await assertPortBindable(port, 'free');
  });

  it('names the port and the cause when an outgoing connection holds it', async () => {
    const target = await listen();
    const client = new Socket();
    await new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.connect({ port: portOf(target), host: '127.0.0.1' }, resolve);
    });
    // The local end the kernel picked from its ephemeral range, as for any client.
    const held = client.localPort as number;
    try {
      await assert.rejects(assertPortBindable(held, "rabbitmq's epmd"), (err: Error) => {
        assert.match(err.message, new RegExp(`rabbitmq's epmd cannot listen on 127\\.0\\.0\\.1:${held}`));
        assert.match(err.message, /outgoing connection/);
        return true;
      });
    } finally {
      client.destroy();
      await close(target);
    }
  });
});
