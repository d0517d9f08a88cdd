/**
 * The web service serves a static build of its single-page app. The stack builds it
 * before starting the service, and only when a source is newer than the last build, so
 * `npm start` and the end-to-end tests always serve what the sources say at a cost of
 * nothing when nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.ts';

const webRoot = path.join(repoRoot, 'services', 'web');
export const webBuildMarker = path.join(webRoot, 'dist', 'index.html');
/** What the build reads: the app, its config, and the contracts its types come from. */
const sources = [path.join(webRoot, 'ui'), path.join(repoRoot, 'services', 'contracts', 'src')];

function newestChange(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

export function webBuildIsStale(): boolean {
  if (!existsSync(webBuildMarker)) return true;
  const built = statSync(webBuildMarker).mtimeMs;
  return sources.some((source) => newestChange(source) > built);
}

/** Builds the web UI when stale; the build prints the first page's JS size against its budget. */
export function ensureWebBuild(options: { quiet?: boolean } = {}): void {
  if (!webBuildIsStale()) return;
  if (!options.quiet) process.stdout.write('▸ building the web UI (services/web/ui)\n');
  const result = spawnSync('npm', ['run', '--silent', 'build', '-w', '@meshmart/web'], {
    cwd: repoRoot,
    stdio: options.quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`the web UI build failed (npm run build -w @meshmart/web):\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
}
