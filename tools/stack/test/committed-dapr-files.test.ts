import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { daprFileLocations, renderDaprFiles } from '../src/dapr-files.ts';
import { paths } from '../src/paths.ts';
import { renderRunFile } from '../src/run-file.ts';

const regenerate = 'regenerate them with: npm run stack -- write-dapr-files';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('committed dapr/ folder and dapr.yaml', () => {
  it('match what the generator produces from the topology', () => {
    const expected = renderDaprFiles(daprFileLocations('static'));
    assert.deepEqual(filesUnder(paths.staticDaprDir), [...expected.keys()].sort(), `dapr/ holds other files; ${regenerate}`);
    for (const [name, content] of expected) {
      assert.equal(readFileSync(path.join(paths.staticDaprDir, name), 'utf8'), content, `dapr/${name} is stale; ${regenerate}`);
    }
    assert.equal(readFileSync(paths.staticRunFile, 'utf8'), renderRunFile(), `dapr.yaml is stale; ${regenerate}`);
  });
});
