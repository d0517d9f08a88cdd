/**
 * `node --import tsx tools/stack/src/build/build-cli.ts <service…>`: rebuilds the stale
 * bundles of those services (tools/dapr-run/bundled runs it before each app of
 * `dapr run -f .`). Imports nothing else of the stack, so it starts quickly.
 */
import { existsSync } from 'node:fs';
import { repoRoot } from '../paths.ts';
import { serviceEntry } from './bundle.ts';
import { describeRound, ensureBundles } from './service-bundles.ts';

const names = process.argv.slice(2);
const unknown = names.filter((name) => !existsSync(serviceEntry(repoRoot, name)));
if (names.length === 0 || unknown.length > 0) {
  console.error(
    `usage: build-cli.ts <service…>${unknown.length > 0 ? `; no services/<name>/src/main.ts for ${unknown.join(', ')}` : ''}`,
  );
  process.exit(2);
}
try {
  console.log(describeRound(await ensureBundles(repoRoot, names)));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
