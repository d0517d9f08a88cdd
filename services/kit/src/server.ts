/**
 * Listens on the app port and serves HTTP/1.1 (Koa) and, when given, gRPC over h2c on
 * the same port. Dapr's sidecar uses one app port per app: with app-protocol http it
 * calls REST routes over HTTP/1.1, while its gRPC proxy (`dapr-app-id` metadata) dials
 * the same port with HTTP/2. The first bytes of each connection tell them apart.
 */
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type Koa from 'koa';
import type { BaseConfig } from './config.ts';
import { withServerSpans } from './http-server-span.ts';
import type { Logger } from './logging.ts';
import { stopTracing } from './tracing.ts';

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * Node's HTTP/2 session reads a net.Socket's handle directly and would miss bytes already
 * read for sniffing, so gRPC gets a stream that replays them and then relays the socket.
 */
function replaying(socket: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    // HTTP/2 hands over an answer's frames (HEADERS, DATA, trailers) together; one by
    // one, each would wait for the last to be flushed and cost a syscall and a loopback
    // segment of its own (no Nagle here).
    writev(chunks, callback) {
      socket.cork();
      chunks.forEach(({ chunk }, i) => {
        socket.write(chunk, i === chunks.length - 1 ? callback : undefined);
      });
      socket.uncork();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  socket.once('error', (err) => stream.destroy(err));
  return stream;
}

export interface ServeOptions {
  port: number;
  host?: string;
  logger: Logger;
  grpcServer?: grpc.Server;
  /** Time allowed for in-flight work after SIGTERM before connections are cut. */
  graceMs?: number;
  /** Called once the listener stopped accepting, in order: close pools, flush traces. */
  onShutdown?: Array<() => Promise<void> | void>;
  /** Flip readiness to "draining" first. */
  onDrain?: () => void;
  /** Install SIGTERM/SIGINT handlers (off in tests that start several servers). */
  handleSignals?: boolean;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export async function serve(app: Koa, options: ServeOptions): Promise<RunningServer> {
  const { logger, grpcServer, graceMs = 10_000, onShutdown = [], handleSignals = true } = options;
  const httpServer = http.createServer(withServerSpans(app.callback()));
  httpServer.keepAliveTimeout = 65_000;
  const injector = grpcServer?.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const sockets = new Set<net.Socket>();
  // No Nagle: HTTP/2 writes a response's headers, data and trailers separately, and
  // Nagle holding the last write for the peer's delayed ACK added ~40 ms to every gRPC
  // answer (http.createServer sets this itself; a bare net server does not).
  const listener = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    route(socket);
  });

  function route(socket: net.Socket, seen: Buffer = Buffer.alloc(0)): void {
    socket.once('data', (chunk: Buffer) => {
      const head = Buffer.concat([seen, chunk]);
      const probe = Math.min(head.length, HTTP2_PREFACE.length);
      if (probe < 3 && head.equals(HTTP2_PREFACE.subarray(0, probe))) {
        route(socket, head);
        return;
      }
      if (injector && head.subarray(0, probe).equals(HTTP2_PREFACE.subarray(0, probe))) {
        injector.injectConnection(replaying(socket, head));
        return;
      }
      socket.pause();
      socket.unshift(head);
      httpServer.emit('connection', socket);
      socket.resume();
    });
  }

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info('listening', { port, grpc: Boolean(grpcServer) });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.onDrain?.();
      listener.close();
      httpServer.closeIdleConnections();
      const drained = Promise.all([
        new Promise<void>((resolve) => httpServer.close(() => resolve())),
        grpcServer ? new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve())) : Promise.resolve(),
      ]);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([drained, timer])) === 'timeout') {
        logger.warn('grace period over; closing remaining connections', { open: sockets.size });
        grpcServer?.forceShutdown();
        httpServer.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }
      for (const step of onShutdown) {
        try {
          await step();
        } catch (err) {
          logger.error('shutdown step failed', { err: (err as Error).message });
        }
      }
      injector?.destroy();
    })();
    return closing;
  };

  if (handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info('shutting down', { signal });
        close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  }
  return { port, close };
}

/**
 * Entry-point wrapper: a configuration error is printed plainly (no stack) with the
 * variables it names, and any start-up failure exits non-zero instead of hanging.
 */
export async function runService(name: string, start: () => Promise<RunningServer>): Promise<void> {
  try {
    await start();
  } catch (err) {
    const message = err instanceof Error && err.name === 'ConfigError' ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`${name}: failed to start: ${message}\n`);
    process.exit(1);
  }
}

/**
 * serve() with the settings every service takes from its configuration: port, bind host
 * and grace period; span export is flushed after the service's own shutdown steps.
 */
export function serveService(
  app: Koa,
  config: Pick<BaseConfig, 'PORT' | 'BIND_HOST' | 'SHUTDOWN_GRACE_MS'>,
  options: Pick<ServeOptions, 'logger' | 'grpcServer' | 'onDrain' | 'handleSignals'> & {
    onShutdown?: ServeOptions['onShutdown'];
  },
): Promise<RunningServer> {
  return serve(app, {
    ...options,
    port: config.PORT,
    host: config.BIND_HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    onShutdown: [...(options.onShutdown ?? []), () => stopTracing()],
  });
}

/**
 * For apps whose app port speaks only gRPC (app-protocol grpc): gRPC on PORT for the
 * sidecar, and the Koa app with /healthz, /readyz and /metrics on ADMIN_PORT for probes
 * and scrapes. One shutdown drains both.
 */
export async function serveGrpcService(
  adminApp: Koa,
  grpcServer: grpc.Server,
  config: Pick<BaseConfig, 'PORT' | 'BIND_HOST' | 'SHUTDOWN_GRACE_MS'> & { ADMIN_PORT: number },
  options: Pick<ServeOptions, 'logger' | 'onDrain' | 'handleSignals'> & { onShutdown?: ServeOptions['onShutdown'] },
): Promise<RunningServer> {
  const common = { logger: options.logger, host: config.BIND_HOST, graceMs: config.SHUTDOWN_GRACE_MS, handleSignals: false };
  const app = await serve(adminApp, { ...common, port: config.PORT, grpcServer, onDrain: options.onDrain });
  let admin: RunningServer;
  try {
    admin = await serve(adminApp, { ...common, port: config.ADMIN_PORT });
  } catch (err) {
    await app.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // The admin port stays up while gRPC drains, so probes see "draining", not a refusal.
      await app.close();
      for (const step of [...(options.onShutdown ?? []), () => stopTracing()]) {
        try {
          await step();
        } catch (err) {
          options.logger.error('shutdown step failed', { err: (err as Error).message });
        }
      }
      await admin.close();
    })();
    return closing;
  };
  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        options.logger.info('shutting down', { signal });
        close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  }
  return { port: app.port, close };
}
