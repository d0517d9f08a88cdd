/**
 * Replays a Dockerfile without Docker: each stage gets a directory standing in for its
 * root filesystem, COPY copies from the build context (honouring .dockerignore) or an
 * earlier stage, RUN executes the same shell command in the stage's WORKDIR. Enough for
 * the instructions our Dockerfile uses, which is why it keeps its paths relative.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--platform='));
      const [base = '', , name] = parts;
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
    } else if (stages.length === 0) {
      if (upper !== 'ARG') throw new Error(`${op} before the first FROM`);
      const [key = '', value = ''] = args.split('=');
      globalArgs[key] = value;
    } else {
      stages.at(-1)?.instructions.push({ op: upper, args });
    }
  }
  return { globalArgs, stages };
}

export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a, b) => vars[a ?? b] ?? whole);
}

/** .dockerignore patterns as a predicate over context-relative paths. */
export function ignoreMatcher(patterns: string[]): (path: string) => boolean {
  const regexes = patterns.map((p) => {
    const source = p
      .replace(/^\/+/, '')
      .split('**/')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('(?:.*/)?');
    return new RegExp(`^${source}(?:/.*)?$`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

/**
 * What a RUN sees of this machine: its tools and home (for npm's cache), and the extra CA
 * certificates its network may need to reach the registry, which a build host configures
 * for its builder the same way.
 */
function hostEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'NODE_EXTRA_CA_CERTS'];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
}

export interface ReplayResult {
  stageRoot: (name: string) => string;
  final: { root: string; workdir: string; env: Record<string, string>; user?: string; entrypoint: string[]; cmd: string[] };
}

export function replay(options: {
  dockerfile: string;
  context: string;
  buildArgs: Record<string, string>;
  workspace: string;
  runTimeoutMs: number;
  log?: (line: string) => void;
}): ReplayResult {
  const parsed = parseDockerfile(readFileSync(options.dockerfile, 'utf8'));
  const ignored = ignoreMatcher(
    readFileSync(join(options.context, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
  const roots = new Map<string, string>();
  let final: ReplayResult['final'] | undefined;

  for (const stage of parsed.stages) {
    const root = join(options.workspace, stage.name);
    mkdirSync(root, { recursive: true });
    roots.set(stage.name, root);
    const args: Record<string, string> = {};
    let workdir = '/';
    const env: Record<string, string> = {};
    let user: string | undefined;
    let entrypoint: string[] = [];
    let cmd: string[] = [];
    const inRoot = (path: string) => join(root, isAbsolute(path) ? path : join(workdir, path));

    for (const { op, args: raw } of stage.instructions) {
      const vars = { ...parsed.globalArgs, ...args, ...env };
      const text = substitute(raw, vars);
      switch (op) {
        case 'ARG': {
          const [key = '', value] = raw.split('=');
          args[key] = options.buildArgs[key] ?? value ?? parsed.globalArgs[key] ?? '';
          break;
        }
        case 'ENV': {
          const [key = '', ...value] = text.split('=');
          env[key] = value.join('=');
          break;
        }
        case 'WORKDIR':
          workdir = text;
          mkdirSync(inRoot('.'), { recursive: true });
          break;
        case 'USER':
          user = text;
          break;
        case 'ENTRYPOINT':
          entrypoint = JSON.parse(text);
          break;
        case 'CMD':
          cmd = JSON.parse(text);
          break;
        case 'COPY': {
          const parts = text.split(/\s+/);
          const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
          const paths = parts.filter((p) => !p.startsWith('--'));
          const dest = paths.pop() as string;
          const destIsDir = dest.endsWith('/') || paths.length > 1;
          for (const src of paths) {
            const source = from ? join(roots.get(from) ?? '', src) : join(options.context, src);
            if (!existsSync(source)) throw new Error(`COPY: ${src} does not exist`);
            const target = destIsDir ? join(inRoot(dest), src.split('/').pop() as string) : inRoot(dest);
            mkdirSync(dirname(target), { recursive: true });
            cpSync(source, target, {
              recursive: true,
              verbatimSymlinks: true,
              filter: (p) => from !== undefined || !ignored(relative(options.context, p)),
            });
          }
          break;
        }
        case 'RUN': {
          const command = text.replace(/--mount=\S+\s*/g, '');
          options.log?.(`[${stage.name}] RUN ${command}`);
          const result = spawnSync('sh', ['-c', command], {
            cwd: inRoot('.'),
            env: { ...hostEnvironment(), ...args, ...env },
            encoding: 'utf8',
            timeout: options.runTimeoutMs,
          });
          if (result.status !== 0) {
            throw new Error(`[${stage.name}] RUN ${command} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
          }
          break;
        }
        default:
          throw new Error(`unsupported instruction ${op}`);
      }
    }
    final = { root, workdir, env, ...(user ? { user } : {}), entrypoint, cmd };
  }
  if (!final) throw new Error('Dockerfile has no stages');
  return { stageRoot: (name) => roots.get(name) ?? '', final };
}
