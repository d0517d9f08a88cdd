/**
 * Code uses other packages the way any consumer would: through the package's name and
 * an entry of its `exports` map, never by a path into its folder. A test or tool that
 * reaches into another package's sources ties itself to file names the owner may change,
 * and helpers that only tests need end up in production code to be reachable.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Workspace {
  name: string;
  /** Repository-relative folder; '' for the root package. */
  dir: string;
  /** The `exports` field of its package.json, if any. */
  exports: unknown;
}

export interface BoundaryViolation {
  file: string;
  specifier: string;
  reason: string;
}

const SCOPE = '@meshmart/';

/** Module specifiers of static imports and re-exports, side-effect imports and `import()` with a literal. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) if (match[1]) found.push(match[1]);
  return found;
}

/** The subpath keys an `exports` field offers ('.' for the bare name). */
function exportKeys(exports: unknown): string[] {
  if (typeof exports === 'string' || Array.isArray(exports)) return ['.'];
  if (typeof exports !== 'object' || exports === null) return [];
  const keys = Object.keys(exports);
  // An object of conditions ("import", "default", …) is the entry for '.'.
  return keys.every((k) => !k.startsWith('.')) ? ['.'] : keys;
}

/** Node's matching of a subpath against an exports key, with at most one `*`. */
function matchesExportKey(subpath: string, key: string): boolean {
  const star = key.indexOf('*');
  if (star < 0) return subpath === key;
  const [before, after] = [key.slice(0, star), key.slice(star + 1)];
  return subpath.length >= key.length && subpath.startsWith(before) && subpath.endsWith(after);
}

function owner(file: string, workspaces: Workspace[]): Workspace | undefined {
  return workspaces
    .filter((w) => w.dir === '' || file === w.dir || file.startsWith(`${w.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/** What `file` (repository-relative, with `source` as its text) imports past the boundaries of its package. */
export function checkImports(file: string, source: string, workspaces: Workspace[]): BoundaryViolation[] {
  const own = owner(file, workspaces);
  const violations: BoundaryViolation[] = [];
  for (const specifier of importSpecifiers(source)) {
    if (specifier.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const theirs = owner(target, workspaces);
      if (theirs && theirs !== own) {
        violations.push({ file, specifier, reason: `reaches into ${theirs.name} by path; import an entry of its exports map` });
      }
      continue;
    }
    if (!specifier.startsWith(SCOPE)) continue;
    const [scope, name, ...rest] = specifier.split('/');
    const packageName = `${scope}/${name}`;
    const theirs = workspaces.find((w) => w.name === packageName);
    if (!theirs) {
      violations.push({ file, specifier, reason: `no workspace is named ${packageName}` });
      continue;
    }
    const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
    const keys = exportKeys(theirs.exports);
    if (!keys.some((key) => matchesExportKey(subpath, key))) {
      violations.push({
        file,
        specifier,
        reason: keys.length
          ? `${packageName} does not export ${subpath} (it exports ${keys.join(', ')})`
          : `${packageName} has no exports map`,
      });
    }
  }
  return violations;
}

/**
 * The pattern keys (`./*`) of a package's exports map. A pattern makes every file it
 * matches public, so the map stops saying which files other packages may rely on and a
 * boundary check can no longer tell an entry point from an internal file.
 */
export function patternExports(workspace: Workspace): string[] {
  return exportKeys(workspace.exports).filter((key) => key.includes('*'));
}

/**
 * The explicit entries of each package's exports map that no file outside the package
 * imports: public surface nobody uses, which only makes internal files look public.
 * `sources` maps repository-relative paths to their text.
 */
export function unusedExports(workspaces: Workspace[], sources: Map<string, string>): string[] {
  const imported = new Set<string>();
  for (const [file, source] of sources) {
    const own = owner(file, workspaces);
    for (const specifier of importSpecifiers(source)) {
      if (!specifier.startsWith(SCOPE)) continue;
      const [scope, name, ...rest] = specifier.split('/');
      if (own?.name === `${scope}/${name}`) continue;
      imported.add(`${scope}/${name} ${rest.length === 0 ? '.' : `./${rest.join('/')}`}`);
    }
  }
  return workspaces.flatMap((w) =>
    exportKeys(w.exports)
      .filter((key) => !key.includes('*') && !imported.has(`${w.name} ${key}`))
      .map((key) => `${w.name} ${key}`),
  );
}

/** npm's workspace globs as this repository writes them: a folder, or `parent/*` for its children. */
function inWorkspaceGlob(dir: string, glob: string): boolean {
  if (!glob.endsWith('/*')) return dir === glob;
  const parent = glob.slice(0, -2);
  return dir.startsWith(`${parent}/`) && !dir.slice(parent.length + 1).includes('/');
}

/** The root package and every workspace it lists, read from the repository at `root`. */
export function readWorkspaces(root: string): Workspace[] {
  const read = (dir: string) => JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const rootPackage = read('');
  const dirs = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*package.json'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('/package.json'))
    .map((f) => path.posix.dirname(f))
    .filter((dir) => ((rootPackage.workspaces as string[] | undefined) ?? []).some((glob) => inWorkspaceGlob(dir, glob)))
    .filter((dir) => existsSync(path.join(root, dir, 'package.json')));
  return [
    { name: String(rootPackage.name), dir: '', exports: rootPackage.exports },
    ...dirs.map((dir) => {
      const pkg = read(dir);
      return { name: String(pkg.name), dir, exports: pkg.exports };
    }),
  ];
}

/** Repository-relative paths of every TypeScript file git tracks (or would), outside node_modules. */
export function typeScriptSources(root: string): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f !== '' && !f.includes('node_modules/') && existsSync(path.join(root, f)));
}
