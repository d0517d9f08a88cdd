/**
 * Bundles one service for its container image: `node --import tsx
 * tools/stack/src/build/bundle-service.ts <service> <outdir>` (run by the Dockerfile). The
 * bundling is the local stack's own (bundle.ts), so the local stack runs exactly what the
 * image runs. Like build-cli.ts it imports nothing else of the stack: the image's bundle
 * stage copies only these two files.
 */
import { existsSync } from 'node:fs';
import { bundleService, serviceEntry } from './bundle.ts';

const [service, outdir] = process.argv.slice(2);
if (!service || !outdir) {
  console.error('usage: bundle-service.ts <service> <outdir>');
  process.exit(2);
}
const root = process.cwd();
if (!existsSync(serviceEntry(root, service))) {
  console.error(`no ${serviceEntry(root, service)}: run from the repository root with an existing service`);
  process.exit(2);
}

await bundleService({ root, service, outdir });
console.log(`bundled services/${service}/src/main.ts into ${outdir}`);
