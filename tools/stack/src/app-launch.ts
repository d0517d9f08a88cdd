/**
 * How a service process starts locally, under the stack runner and under `dapr run -f .`
 * alike: from the bundle its container image runs (build/service-bundles.ts), with no
 * TypeScript loader at run time, and with source maps on so stack traces name the .ts
 * files, as the image's entrypoint does.
 */
import { bundleEntry, describeRound, ensureBundles } from './build/service-bundles.ts';
import { bold } from './console.ts';
import { repoRoot } from './paths.ts';

/** Node's flags for a service, the same as the image's ENTRYPOINT (a cdk8s test compares them). */
export const serviceNodeFlags = ['--enable-source-maps'];

/** The stack runner's command for a service, with the runner's own Node. */
export function appLaunch(name: string, root = repoRoot): { command: string; args: string[] } {
  return { command: process.execPath, args: [...serviceNodeFlags, bundleEntry(root, name)] };
}

/**
 * dapr.yaml's command for a service, after the token wrapper: a script that rebuilds the
 * bundle when stale, then runs it like appLaunch does.
 */
export function runFileLaunch(name: string): string[] {
  return ['tools/dapr-run/bundled', name];
}

/** Rebuilds what changed since the last start; prints what and how long unless quiet. */
export async function prepareApps(names: string[], options: { quiet?: boolean } = {}): Promise<void> {
  const round = await ensureBundles(repoRoot, names);
  if (!options.quiet) process.stdout.write(`${bold('▸')} ${describeRound(round)}\n`);
}
