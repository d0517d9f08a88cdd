/**
 * Server-sent events, and gRPC server streams relayed as them.
 *
 * The relay waits for the stream's first message before it answers: an error before
 * that (unknown link, batch too big, service down) is then an ordinary problem+json
 * response with the mapped status, which EventSource and fetch callers can tell apart
 * from a stream. Once the 200 is out, a failure can only be told in-band, as an
 * `event: error` whose data is the problem.
 */
import { PassThrough } from 'node:stream';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { problemFromGrpc, problems } from '@meshmart/kit';
import type { Context } from 'koa';
import { sseStreamsOpen } from './metrics.ts';

/** One event. JSON.stringify escapes newlines, so the data is always a single line. */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: clients ignore it, proxies see traffic and keep the stream open. */
export const HEARTBEAT = ': ping\n\n';

export interface EventStreamOptions {
  /** Route template, for the open-streams gauge. */
  route: string;
  heartbeatMs: number;
}

export interface EventStream {
  /** False when the client is slower than the events: wait for `onDrain`. */
  send(event: string, data: unknown): boolean;
  end(): void;
  readonly closed: boolean;
  onDrain(listener: () => void): void;
  /** Called once, when the stream ends or the client goes away. */
  onClose(listener: () => void): void;
}

/**
 * Turns the response into an event stream. Nothing may be buffered on the way: Koa pipes
 * the body to the socket as it is written, Nagle is off, and `x-accel-buffering: no`
 * asks nginx-style proxies not to hold events back either.
 */
export function openEventStream(ctx: Context, options: EventStreamOptions): EventStream {
  const body = new PassThrough();
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.set('content-type', 'text/event-stream');
  ctx.set('cache-control', 'no-cache');
  ctx.set('x-accel-buffering', 'no');
  ctx.body = body;

  const labels = { route: options.route };
  sseStreamsOpen.inc(labels);
  const heartbeat = setInterval(() => body.write(HEARTBEAT), options.heartbeatMs);
  let closed = false;
  // Koa destroys the body when the response closes early, so 'close' covers both a
  // finished stream and a client that went away.
  body.once('close', () => {
    closed = true;
    clearInterval(heartbeat);
    sseStreamsOpen.dec(labels);
  });

  return {
    send: (event, data) => body.write(formatEvent(event, data)),
    end: () => {
      if (!closed) body.end();
    },
    get closed() {
      return closed;
    },
    onDrain: (listener) => body.once('drain', listener),
    onClose: (listener) => body.once('close', listener),
  };
}

export interface RelayOptions<T> extends EventStreamOptions {
  /** Callee name in problems, e.g. `links`. */
  target: string;
  /** Time the first message may take before the call is cancelled and answered 504. */
  firstMessageTimeoutMs: number;
  /** The event for a message, or undefined to send nothing for it. */
  toEvent(message: T): { event: string; data: unknown } | undefined;
}

/**
 * Answers with the gRPC stream as server-sent events. Resolves once the response is
 * committed to a stream; rejects with a problem if the call failed before its first
 * message. The call is cancelled when the client goes away.
 */
export function relayAsEventStream<T>(ctx: Context, call: ClientReadableStream<T>, options: RelayOptions<T>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stream: EventStream | undefined;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(problems.timeout(`${options.target} did not answer in time`));
      call.cancel();
    }, options.firstMessageTimeoutMs);

    const open = (): EventStream => {
      settled = true;
      clearTimeout(timer);
      const opened = openEventStream(ctx, options);
      opened.onClose(() => call.cancel());
      resolve();
      return opened;
    };

    call.on('data', (message: T) => {
      if (settled && !stream) return;
      stream ??= open();
      const event = options.toEvent(message);
      if (!event || stream.closed) return;
      if (!stream.send(event.event, event.data)) {
        call.pause();
        stream.onDrain(() => call.resume());
      }
    });
    call.on('error', (err) => {
      if (!stream) return fail(problemFromGrpc(err, options.target));
      if (stream.closed) return;
      stream.send('error', problemFromGrpc(err, options.target).toBody(ctx.path));
      stream.end();
    });
    call.on('end', () => {
      if (!stream) return fail(problems.badGateway(`${options.target} ended the stream without a message`));
      stream.end();
    });
  });
}
