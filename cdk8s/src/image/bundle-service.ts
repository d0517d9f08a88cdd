/**
 * Bundles one service for its container image: `node --import tsx
 * cdk8s/src/image/bundle-service.ts <service> <outdir>` (run by the Dockerfile).
 *
 * Workspace code (@meshmart/*, TypeScript) is compiled into the bundle; npm packages stay
 * external and ship as a pruned node_modules, because OpenTelemetry instruments koa, pg
 * and grpc-js by hooking their module loads, which bundled copies would bypass. Code
 * splitting keeps each service's `await import(...)` a separate chunk, so tracing still
 * starts before the instrumented packages are first imported.
 */
import { existsSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';

const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@meshmart/') ? undefined : { path: args.path, external: true },
    );
  },
};

const [service, outdir] = process.argv.slice(2);
if (!service || !outdir) {
  console.error('usage: bundle-service.ts <service> <outdir>');
  process.exit(2);
}
const entry = `services/${service}/src/main.ts`;
if (!existsSync(entry)) {
  console.error(`no ${entry}: run from the repository root with an existing service`);
  process.exit(2);
}

await build({
  entryPoints: { main: entry },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  plugins: [npmPackagesExternal],
  logLevel: 'warning',
});
console.log(`bundled ${entry} into ${outdir}`);
