import { execFileSync } from 'node:child_process';

const isRoot = process.getuid?.() === 0;

/**
 * PostgreSQL refuses to run as root; when we are root, its commands run as the
 * `postgres` system user instead. setpriv execs in place, so the pid we record is the
 * server's own.
 */
export function asServiceUser(user: string, command: string, args: string[]): { command: string; args: string[] } {
  if (!isRoot) return { command, args };
  return { command: 'setpriv', args: [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', command, ...args] };
}

/** Gives `user` a folder we created, when we are root and it must write there. */
export function handOver(user: string, dir: string): void {
  if (isRoot) execFileSync('chown', ['-R', `${user}:`, dir]);
}
