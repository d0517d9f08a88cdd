/** Paths in the repository the synth reads from or writes to. */
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const distDir = fileURLToPath(new URL('../dist/', import.meta.url));
export const grafanaDashboardsDir = `${repoRoot}dashboards/grafana`;
export const contractsDoc = `${repoRoot}docs/CONTRACTS.md`;
/** Per-checkout seed of the dev secrets; .data/ is git-ignored. */
export const defaultSecretSeedFile = `${repoRoot}.data/cluster-secret-seed`;
