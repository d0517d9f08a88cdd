/**
 * Child processes of the stack. Each runs in its own process group (detached), so
 * stopping it also stops whatever it forked, and records a pid file under .data/run so
 * `stack down` can stop a stack whose runner is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { bold, prefix, red } from './console.ts';
import { paths } from './paths.ts';

export interface ChildSpec {
  /** Shown in prefixes, messages and file names. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * `console`: each line is printed with the name as prefix (and kept in the log file).
   * `warnings`: every line is kept in the log file; only warnings, errors and lines that
   * are not structured logs (a crash's stack trace) are printed.
   * `file`: output goes only to .data/logs/<name>.log.
   */
  output: 'console' | 'warnings' | 'file';
  /**
   * Whether the process may outlive this Node process: infrastructure started for tests
   * keeps running for the next run. Everything else is killed when this process exits.
   */
  outlive?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface PidRecord {
  name: string;
  pid: number;
  startedAt: number;
}

const live = new Set<Child>();

export class Child {
  readonly exited: Promise<ExitInfo>;
  private stopping: Promise<void> | undefined;
  private readonly unexpectedExitHandlers: Array<(info: ExitInfo) => void> = [];

  constructor(
    readonly spec: ChildSpec,
    private readonly proc: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      const finish = (info: ExitInfo) => {
        live.delete(this);
        removePidFile(spec.name, this.pid);
        if (!this.stopping) for (const handler of this.unexpectedExitHandlers) handler(info);
        resolve(info);
      };
      proc.once('exit', (code, signal) => finish({ code, signal }));
      // A command that cannot be started never emits 'exit'.
      proc.once('error', () => {
        if (proc.pid === undefined) finish({ code: null, signal: null });
      });
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.proc.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Called when the process ends without stop() having been called. */
  onUnexpectedExit(handler: (info: ExitInfo) => void): void {
    this.unexpectedExitHandlers.push(handler);
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs`; later calls wait for the first. */
  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= this.terminate(graceMs);
    return this.stopping;
  }

  private async terminate(graceMs: number): Promise<void> {
    if (this.running) {
      signalGroup(this.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Whatever the leader forked and left behind goes with it.
    signalGroup(this.pid, 'SIGKILL');
  }

  async lastLines(count = 20): Promise<string> {
    return tailOfFile(this.logFile, count);
  }
}

/** Prints, loudly, that a child died on its own, with the end of its log. */
export function reportUnexpectedExit(child: Child): void {
  child.onUnexpectedExit(async (info) => {
    const how = info.signal ?? `code ${info.code}`;
    const lines = await child.lastLines();
    process.stderr.write(`\n${red(bold(`✖ ${child.name} exited unexpectedly (${how})`))}; last lines:\n${lines}\n\n`);
  });
}

const QUIET_LEVELS = new Set(['info', 'http', 'verbose', 'debug', 'silly', 'trace']);

/**
 * Whether a line of a child's output deserves the console when only warnings and errors
 * are shown: a JSON log line (the services' and daprd's) by its `level`, anything else
 * always, since unstructured output is what a crashing process prints.
 */
export function worthShowing(line: string): boolean {
  if (!line.startsWith('{')) return line.trim() !== '';
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level !== 'string' || !QUIET_LEVELS.has(level.toLowerCase());
  } catch {
    return true;
  }
}

export function logFileOf(name: string): string {
  return path.join(paths.logs, `${name}.log`);
}

export function startChild(spec: ChildSpec): Child {
  mkdirSync(paths.logs, { recursive: true });
  const logFile = logFileOf(spec.name);
  const banner = `\n--- ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`;
  let proc: ChildProcess;
  if (spec.output === 'file') {
    // A file descriptor, not a pipe: the child must not depend on this process to write.
    const fd = openSync(logFile, 'a');
    writeFileSync(fd, banner);
    proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
  } else {
    proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(banner);
    const label = prefix(spec.name);
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        if (spec.output === 'console' || worthShowing(line)) process.stdout.write(`${label}${line}\n`);
        log.write(`${line}\n`);
      });
    }
    proc.once('close', () => log.end());
  }
  proc.once('error', (err) => {
    appendFileSync(logFile, `could not start ${spec.command}: ${err.message}\n`);
  });
  const child = new Child(spec, proc, logFile);
  if (proc.pid !== undefined) {
    writePidFile({ name: spec.name, pid: proc.pid, startedAt: Date.now() });
    live.add(child);
  }
  if (spec.outlive) proc.unref();
  return child;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Stops every child this process started, all at once (an interrupted start has no handle). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

/**
 * SIGKILLs the children at once: from the 'exit' handler only those that must not
 * outlive this process, on an impatient second Ctrl-C all of them.
 */
export function killChildrenSync(includeOutliving = false): void {
  for (const child of live) if (includeOutliving || !child.spec.outlive) signalGroup(child.pid, 'SIGKILL');
}

process.once('exit', () => killChildrenSync());

function pidFile(name: string): string {
  return path.join(paths.run, `${name}.json`);
}

function writePidFile(record: PidRecord): void {
  mkdirSync(paths.run, { recursive: true });
  writeFileSync(pidFile(record.name), JSON.stringify(record));
}

function removePidFile(name: string, pid: number): void {
  try {
    const record = JSON.parse(readFileSync(pidFile(name), 'utf8')) as PidRecord;
    if (record.pid === pid) rmSync(pidFile(name));
  } catch {
    // Never written, or already replaced by a newer run of the same name.
  }
}

/** A zombie counts as dead: it is gone, only its parent has not collected it yet. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Pid files of processes still alive, newest first; stale files are removed. */
export function recordedProcesses(): PidRecord[] {
  let names: string[];
  try {
    names = readdirSync(paths.run).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const records: PidRecord[] = [];
  for (const n of names) {
    const file = path.join(paths.run, n);
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
      if (isAlive(record.pid)) records.push(record);
      else rmSync(file);
    } catch {
      rmSync(file, { force: true });
    }
  }
  return records.sort((a, b) => b.startedAt - a.startedAt);
}

/** Stops a recorded process group, for `stack down`: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopRecorded(record: PidRecord, graceMs = 10_000): Promise<void> {
  signalGroup(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(record.pid) && Date.now() < deadline) await sleep(100);
  signalGroup(record.pid, 'SIGKILL');
  rmSync(pidFile(record.name), { force: true });
}

export async function tailOfFile(file: string, count: number): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no output)';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
