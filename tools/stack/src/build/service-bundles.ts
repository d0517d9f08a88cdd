/**
 * The local stack runs each service from the bundle its image runs (bundle.ts), kept in
 * services/<name>/.build/ next to src/, so its npm packages resolve exactly as they do
 * from src/ (a service may hold its own version of one in services/<name>/node_modules)
 * and paths relative to the code (web's ../dist) still hold.
 *
 * A bundle is rebuilt only when stale: none yet, another bundler, or a source whose
 * content differs from what the last build read. Content, not modification times, since
 * code generation rewrites proto/gen on every `npm start` without changing it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleMain, bundlerFingerprint, bundleService } from './bundle.ts';

export const bundleDirName = '.build';
/** What the last build read, written beside the bundle. */
const manifestName = 'sources.json';
/** Read by esbuild too, without appearing among a bundle's inputs. */
const buildSettings = ['tsconfig.json', 'tsconfig.base.json'];

interface Manifest {
  bundler: string;
  /** Path relative to the repository root → sha256 of its content. */
  sources: Record<string, string>;
}

export function bundleDir(root: string, service: string): string {
  return path.join(root, 'services', service, bundleDirName);
}

export function bundleEntry(root: string, service: string): string {
  return path.join(bundleDir(root, service), bundleMain);
}

/** Hashes each file once per build round: most services read the same kit files. */
type HashCache = Map<string, Promise<string | undefined>>;

function contentHash(root: string, file: string, cache: HashCache): Promise<string | undefined> {
  let hash = cache.get(file);
  if (!hash) {
    hash = readFile(path.join(root, file)).then(
      (content) => createHash('sha256').update(content).digest('hex'),
      () => undefined,
    );
    cache.set(file, hash);
  }
  return hash;
}

async function readManifest(root: string, service: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(bundleDir(root, service), manifestName), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Why the service's bundle must be rebuilt, or undefined when it matches its sources. */
export async function bundleStaleness(root: string, service: string, cache: HashCache = new Map()): Promise<string | undefined> {
  const manifest = await readManifest(root, service);
  if (!manifest || !existsSync(bundleEntry(root, service))) return 'no bundle yet';
  if (manifest.bundler !== bundlerFingerprint) return 'the bundler changed';
  for (const [file, hash] of Object.entries(manifest.sources)) {
    const now = await contentHash(root, file, cache);
    if (now === undefined) return `${file} is gone`;
    if (now !== hash) return `${file} changed`;
  }
  return undefined;
}

/**
 * The files a build depended on: esbuild's inputs, the package.json of each workspace
 * they come from (its exports map decides what an import resolves to) and the tsconfig.
 */
function dependedOn(root: string, inputs: string[]): string[] {
  const workspaces = new Set(
    inputs.map((input) => {
      const parts = input.split('/');
      return parts[0] === 'services' || parts[0] === 'tools' ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
    }),
  );
  const manifests = [...workspaces].map((ws) => `${ws}/package.json`).filter((file) => existsSync(path.join(root, file)));
  return [...new Set([...inputs, ...manifests, ...buildSettings.filter((file) => existsSync(path.join(root, file)))])].sort();
}

/**
 * Bundles the service into a fresh directory, then swaps it in: a failed build leaves
 * the previous bundle, still stale, in place.
 */
export async function rebuildBundle(root: string, service: string, cache: HashCache = new Map()): Promise<void> {
  const dir = bundleDir(root, service);
  const fresh = `${dir}.${process.pid}.tmp`;
  await rm(fresh, { recursive: true, force: true });
  try {
    const metafile = await bundleService({ root, service, outdir: fresh });
    const files = dependedOn(root, Object.keys(metafile.inputs));
    const sources: Record<string, string> = {};
    for (const file of files) {
      const hash = await contentHash(root, file, cache);
      if (hash !== undefined) sources[file] = hash;
    }
    const manifest: Manifest = { bundler: bundlerFingerprint, sources };
    await writeFile(path.join(fresh, manifestName), `${JSON.stringify(manifest, null, 1)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(fresh, dir);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

export interface BundleRound {
  rebuilt: Array<{ service: string; reason: string }>;
  upToDate: string[];
  ms: number;
}

/** Rebuilds the stale bundles of `services`, all at once. */
export async function ensureBundles(root: string, services: string[]): Promise<BundleRound> {
  const started = performance.now();
  const cache: HashCache = new Map();
  const reasons = await Promise.all(services.map((service) => bundleStaleness(root, service, cache)));
  const rebuilt = services.flatMap((service, i) => {
    const reason = reasons[i];
    return reason === undefined ? [] : [{ service, reason }];
  });
  // The hashes from the check go into the manifests: a source edited while building then
  // differs from its recorded hash, and the next start rebuilds.
  await Promise.all(rebuilt.map(({ service }) => rebuildBundle(root, service, cache)));
  return {
    rebuilt,
    upToDate: services.filter((_, i) => reasons[i] === undefined),
    ms: performance.now() - started,
  };
}

/** One line for the console: what was rebuilt, why, and how long it all took. */
export function describeRound(round: BundleRound): string {
  const ms = `${Math.round(round.ms)} ms`;
  if (round.rebuilt.length === 0) {
    const which = round.upToDate.length === 1 ? round.upToDate[0] : `all ${round.upToDate.length}`;
    return `bundles: ${which} up to date (${ms})`;
  }
  const byReason = new Map<string, string[]>();
  for (const { service, reason } of round.rebuilt) byReason.set(reason, [...(byReason.get(reason) ?? []), service]);
  const rebuilt = [...byReason].map(([reason, names]) => `${names.join(', ')} (${reason})`).join('; ');
  const rest = round.upToDate.length > 0 ? `; ${round.upToDate.length} up to date` : '';
  return `bundles: rebuilt ${rebuilt} in ${ms}${rest}`;
}
