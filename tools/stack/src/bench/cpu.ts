/**
 * CPU time of every process of the local stack, read from /proc/<pid>/stat: each recorded
 * child (services, sidecars, infrastructure) with all of its descendants, so PostgreSQL's
 * per-connection backends count for PostgreSQL. A process's cutime/cstime holds the
 * children it has reaped, so a backend that ends between two samples is still counted.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/<pid>/stat times on Linux. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone since the directory listing
  }
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17) };
}

export interface StackProcess {
  name: string;
  pid: number;
}

/** CPU milliseconds so far per named process tree. */
export type CpuSample = Map<string, number>;

export function sampleCpu(roots: StackProcess[]): CpuSample {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  const rootNames = new Map(roots.map((r) => [r.pid, r.name]));
  const owner = (pid: number): string | undefined => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      const name = rootNames.get(p);
      if (name) return name;
      const parent = stats.get(p)?.ppid;
      if (parent === undefined) return undefined;
      p = parent;
    }
    return undefined;
  };
  const sample: CpuSample = new Map(roots.map((r) => [r.name, 0]));
  for (const [pid, stat] of stats) {
    const name = owner(pid);
    if (name !== undefined) sample.set(name, (sample.get(name) ?? 0) + (stat.ticks * 1000) / TICKS_PER_SECOND);
  }
  return sample;
}

/** CPU milliseconds each process tree spent between two samples, largest first. */
export function cpuBetween(before: CpuSample, after: CpuSample): Array<{ name: string; ms: number }> {
  return [...after]
    .map(([name, ms]) => ({ name, ms: ms - (before.get(name) ?? 0) }))
    .filter((p) => p.ms > 0)
    .sort((a, b) => b.ms - a.ms);
}
