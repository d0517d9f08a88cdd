/**
 * Runs a service's own benchmark script (`services/<name>/bench/*.ts`) in a process of
 * its own and reads back the figures it reports on its last line of output. Its error
 * output goes to the bench's, so its progress and failures show as they happen.
 */
import { spawn } from 'node:child_process';
import { repoRoot } from '../paths.ts';

/** `file` is relative to the repository's root (or absolute); `keys` are the figures it must report. */
export async function runServiceBench<K extends string>(
  file: string,
  keys: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<K, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = output.trimEnd().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`${file} exited with ${code}`);
  let figures: unknown;
  try {
    figures = JSON.parse(last);
  } catch {
    throw new Error(`${file} did not end with its figures as a line of JSON; its last line: ${last.slice(0, 200)}`);
  }
  const missing = keys.filter((key) => typeof (figures as Record<string, unknown> | null)?.[key] !== 'number');
  if (missing.length > 0) throw new Error(`${file} reported no ${missing.join(', ')}: ${last.slice(0, 200)}`);
  return figures as Record<K, number>;
}
