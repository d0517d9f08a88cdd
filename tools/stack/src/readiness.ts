/**
 * Waiting for things to come up, with a progress display: one rewritten line on a
 * terminal, a line per change (and a reminder every 10s) otherwise. A timeout or a
 * process that dies while awaited fails with its name and the last lines of its log.
 */
import { connect, createServer } from 'node:net';
import { bold, dim, green, isTty } from './console.ts';
import { type Child, sleep, tailOfFile } from './processes.ts';

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Fails, naming `what`, when nothing listens on `port` but it cannot be bound either:
 * another socket holds it, typically the local end of an outgoing connection. Some
 * servers (epmd) exit without a word in that case.
 */
export async function assertPortBindable(port: number, what: string, host = '127.0.0.1'): Promise<void> {
  const code = await new Promise<string | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ port, host }, () => server.close(() => resolve(undefined)));
  });
  if (code === undefined) return;
  const holder = code === 'EADDRINUSE' ? 'another socket holds it without listening, e.g. an outgoing connection' : code;
  throw new Error(`${what} cannot listen on ${host}:${port}: ${holder}; see \`ss -tanp | grep :${port}\``);
}

/** True when GET `url` answers with a 2xx status. */
export async function isHttpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export interface Awaited {
  /** What the progress display and errors call it. */
  label: string;
  ready: () => Promise<boolean>;
  /** The process whose death means it will never be ready, and whose log explains why. */
  child?: Child;
  /** A log to show when it times out and there is no child (e.g. a reused instance). */
  logFile?: string;
}

class NotReadyError extends Error {}

export interface WaitOptions {
  timeoutMs: number;
  quiet?: boolean;
  /** Shown before the list, e.g. "infrastructure". */
  title: string;
}

export async function waitForAll(items: Awaited[], options: WaitOptions): Promise<void> {
  const started = Date.now();
  const pending = new Map(items.map((item) => [item.label, item]));
  const report = progressReporter(options, items.length);
  while (pending.size > 0) {
    const checks = [...pending.values()].map(async (item) => {
      if (item.child && !item.child.running) {
        const info = await item.child.exited;
        throw new NotReadyError(
          `${item.label} exited (${info.signal ?? `code ${info.code}`}) before it was ready; last lines of ${item.child.logFile}:\n${await item.child.lastLines()}`,
        );
      }
      // Still running once ready: a process that died at once may have been answered for
      // by whatever else holds its port.
      if ((await item.ready()) && (!item.child || item.child.running)) {
        pending.delete(item.label);
        report.ready(item.label, Date.now() - started);
      }
    });
    await Promise.all(checks);
    if (pending.size === 0) break;
    if (Date.now() - started > options.timeoutMs) {
      report.end();
      throw new NotReadyError(await timeoutMessage([...pending.values()], options.timeoutMs));
    }
    report.waiting([...pending.keys()], Date.now() - started);
    await sleep(250);
  }
  report.end();
}

async function timeoutMessage(items: Awaited[], timeoutMs: number): Promise<string> {
  const parts = [`not ready after ${Math.round(timeoutMs / 1000)}s: ${items.map((i) => i.label).join(', ')}`];
  for (const item of items) {
    const file = item.child?.logFile ?? item.logFile;
    if (file) parts.push(`--- last lines of ${file}:\n${await tailOfFile(file, 20)}`);
  }
  return parts.join('\n');
}

function progressReporter(options: WaitOptions, total: number) {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  let lastPlain = 0;
  let lineShown = false;
  const clear = () => {
    if (lineShown) process.stdout.write('\r\u001b[K');
    lineShown = false;
  };
  let done = 0;
  return {
    ready(label: string, elapsed: number) {
      done += 1;
      if (options.quiet) return;
      clear();
      process.stdout.write(`  ${green('✓')} ${label} ${dim(seconds(elapsed))}\n`);
    },
    waiting(labels: string[], elapsed: number) {
      if (options.quiet) return;
      if (isTty) {
        clear();
        const list = labels.join(', ');
        const width = (process.stdout.columns ?? 100) - 40;
        process.stdout.write(
          `  ${bold(options.title)} ${done}/${total} ready, waiting for ${list.length > width ? `${list.slice(0, width)}…` : list} ${dim(seconds(elapsed))}`,
        );
        lineShown = true;
      } else if (elapsed - lastPlain >= 10_000) {
        lastPlain = elapsed;
        process.stdout.write(`  ${options.title}: still waiting for ${labels.join(', ')} (${seconds(elapsed)})\n`);
      }
    },
    end() {
      clear();
    },
  };
}
