/**
 * Committed files derived from the topology and the dashboard definitions:
 * dashboards/** and skaffold.yaml. A test fails when the committed copies are stale.
 */
import { services } from '@meshmart/kit/topology';
import { generatedDashboardFiles } from './dashboards/dashboard-files.ts';
import { skaffoldYaml } from './skaffold-config.ts';

/** Path relative to the repository root → content. */
export function generatedAssets(): Map<string, string> {
  const files = generatedDashboardFiles();
  files.set('skaffold.yaml', skaffoldYaml(services));
  return files;
}
