/**
 * One service's code as it runs, in the container image and in the local stack alike:
 * its `src/main.ts` bundled by esbuild into ES modules for Node 24.
 *
 * Workspace code (@meshmart/*, TypeScript) is compiled into the bundle; npm packages stay
 * external and resolve from node_modules at run time, because OpenTelemetry instruments
 * koa, pg and grpc-js by hooking their module loads, which bundled copies would bypass.
 * Code splitting keeps each service's `await import(...)` a separate chunk, so tracing
 * still starts before the instrumented packages are first imported. Linked source maps
 * let `node --enable-source-maps` name the .ts files in stack traces.
 */
import path from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin, version } from 'esbuild';

const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@meshmart/') ? undefined : { path: args.path, external: true },
    );
  },
};

/** The file a bundle starts from. */
export const bundleMain = 'main.mjs';

/** What decides the output besides the sources and which packages stay external. */
const outputOptions = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
} satisfies BuildOptions;

/** Changes whenever the same sources could bundle differently: another esbuild or other options. */
export const bundlerFingerprint = `esbuild ${version} ${JSON.stringify(outputOptions)}`;

export function serviceEntry(root: string, service: string): string {
  return path.join(root, 'services', service, 'src', 'main.ts');
}

/**
 * Bundles `services/<service>/src/main.ts` under `root` into `outdir`. The metafile's
 * input paths are relative to `root`.
 */
export async function bundleService(options: { root: string; service: string; outdir: string }): Promise<Metafile> {
  const result = await build({
    absWorkingDir: options.root,
    entryPoints: { main: serviceEntry(options.root, options.service) },
    outdir: options.outdir,
    ...outputOptions,
    plugins: [npmPackagesExternal],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}
