/**
 * `npm run assets -w @meshmart/cdk8s`: rewrites dashboards/** and skaffold.yaml. Run it
 * after changing the topology, docs/CONTRACTS.md's metric list or a dashboard.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedAssets } from './generated-assets.ts';
import { repoRoot } from './repo-paths.ts';

for (const [path, content] of generatedAssets()) {
  const target = join(repoRoot, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
