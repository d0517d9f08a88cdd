import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contractsDocPath, renderContractsDoc } from '../src/contracts-doc.ts';
import { repoRoot } from '../src/paths.ts';

const committed = readFileSync(path.join(repoRoot, contractsDocPath), 'utf8');

describe('docs/CONTRACTS.md tables printed from the deployment plan', () => {
  it('match what the plan gives', () => {
    assert.equal(committed, renderContractsDoc(committed), 'stale; regenerate with: npm run stack -- write-contracts');
  });

  it('tell a hand edit inside a generated table from the plan, and leave the prose alone', () => {
    const edited = committed.replace('| `REQUIRE_DAPR_TOKENS` | all |', '| `REQUIRE_DAPR_TOKENS` | gateway |');
    assert.notEqual(edited, committed);
    assert.notEqual(renderContractsDoc(edited), edited);
    const prose = committed.replace('Service-specific settings are documented', 'Settings of one service are documented');
    assert.equal(renderContractsDoc(prose), prose);
  });

  it('refuses a page whose markers are gone', () => {
    const withoutMarkers = committed.replace(/<!-- end generated: environment -->/, '');
    assert.throws(() => renderContractsDoc(withoutMarkers), /lacks the markers of the environment section/);
  });
});
