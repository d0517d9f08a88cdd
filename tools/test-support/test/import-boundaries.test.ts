import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkImports,
  patternExports,
  readWorkspaces,
  typeScriptSources,
  unusedExports,
  type Workspace,
} from '../src/import-boundaries.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('code imports other packages through their public entry points only', () => {
  const workspaces: Workspace[] = [
    { name: 'meshmart', dir: '', exports: undefined },
    { name: '@meshmart/kit', dir: 'services/kit', exports: { '.': './src/index.ts', './topology': './src/topology.ts' } },
    { name: '@meshmart/contracts', dir: 'services/contracts', exports: { './*': './src/*.ts' } },
    { name: '@meshmart/users', dir: 'services/users', exports: { '.': './src/index.ts' } },
    { name: '@meshmart/qr', dir: 'services/qr', exports: undefined },
    { name: '@meshmart/stack', dir: 'tools/stack', exports: { '.': './src/index.ts', './load-script': './src/load-script.ts' } },
  ];
  const check = (file: string, source: string) => checkImports(file, source, workspaces).map((v) => v.specifier);

  it('accepts a package’s own files, exported names and patterns, and anything outside the scope', () => {
    const source = [
      "import { startUsers } from '../src/service.ts';",
      "import { startUsers as again } from '@meshmart/users';",
      "import { service } from '@meshmart/kit/topology';",
      "import { linkSchema } from '@meshmart/contracts/links';",
      "import { loadScript } from '@meshmart/stack/load-script';",
      "import assert from 'node:assert/strict';",
      "export { x } from './support.ts';",
    ].join('\n');
    assert.deepEqual(check('services/users/test/users.int.test.ts', source), []);
  });

  it('flags a path into another package, from a package, a tool or the root tests', () => {
    assert.deepEqual(
      check('services/catalog/test/catalog.int.test.ts', "import { startUsers } from '../../users/src/service.ts';"),
      ['../../users/src/service.ts'],
    );
    assert.deepEqual(check('test/e2e/x.e2e.test.ts', "const { decodePng } = await import('../../services/qr/test/decode.ts');"), [
      '../../services/qr/test/decode.ts',
    ]);
    assert.deepEqual(check('tools/stack/test/x.test.ts', "import '../../../services/kit/src/outbox.ts';"), [
      '../../../services/kit/src/outbox.ts',
    ]);
    assert.deepEqual(check('tools/stack/src/bench.ts', "import { renderQr } from '../../../services/qr/src/render.ts';"), [
      '../../../services/qr/src/render.ts',
    ]);
  });

  it('flags a subpath the exports map does not offer, a package without one, and an unknown package', () => {
    const violations = checkImports(
      'test/e2e/x.e2e.test.ts',
      [
        "import { localCredentials } from '@meshmart/stack/src/credentials.ts';",
        "import { outboxRelay } from '@meshmart/kit/outbox';",
        "import { decodePng } from '@meshmart/qr';",
        "import { nothing } from '@meshmart/nobody';",
      ].join('\n'),
      workspaces,
    );
    assert.deepEqual(
      violations.map((v) => v.reason),
      [
        '@meshmart/stack does not export ./src/credentials.ts (it exports ., ./load-script)',
        '@meshmart/kit does not export ./outbox (it exports ., ./topology)',
        '@meshmart/qr has no exports map',
        'no workspace is named @meshmart/nobody',
      ],
    );
  });

  it('flags a pattern export, which makes every file it matches public', () => {
    assert.deepEqual(workspaces.flatMap(patternExports), ['./*']);
    assert.deepEqual(
      patternExports({ name: '@meshmart/kit', dir: 'services/kit', exports: { '.': './src/index.ts', './*': './src/*.ts' } }),
      ['./*'],
    );
  });

  it('flags an exports entry that no other package imports, and not one its own package imports', () => {
    const sources = new Map([
      ['services/users/test/users.int.test.ts', "import { service } from '@meshmart/kit/topology';"],
      [
        'tools/stack/src/x.ts',
        "import { loadScript } from '@meshmart/stack/load-script';\nimport { startUsers } from '@meshmart/users';",
      ],
      ['cdk8s/src/x.ts', "import { startStack } from '@meshmart/stack';"],
    ]);
    assert.deepEqual(unusedExports(workspaces, sources), ['@meshmart/kit .', '@meshmart/stack ./load-script']);
  });

  it('holds for every TypeScript file in the repository: services, tools, their tests and benches', () => {
    const real = readWorkspaces(root);
    assert.ok(
      real.some((w) => w.name === '@meshmart/test-support'),
      'the workspaces are read from the root package.json',
    );
    // This file's own fixtures are such imports on purpose, inside strings.
    const files = typeScriptSources(root).filter((f) => f !== 'tools/test-support/test/import-boundaries.test.ts');
    assert.ok(files.length > 400, `only ${files.length} TypeScript files found`);
    assert.ok(files.includes('services/qr/bench/render-rate.ts'), 'benches outside src and test are read too');
    const violations = files.flatMap((file) => checkImports(file, readFileSync(path.join(root, file), 'utf8'), real));
    assert.deepEqual(
      violations.map((v) => `${v.file}: ${v.specifier} — ${v.reason}`),
      [],
    );
  });

  it('leaves the kit and the tools with explicit entry points, each imported by another package', () => {
    const real = readWorkspaces(root);
    // Every file of these two is one API's contract (generated gRPC code, one schema module per API).
    const contractsByFile = new Set(['@meshmart/proto', '@meshmart/contracts']);
    assert.deepEqual(
      real.filter((w) => !contractsByFile.has(w.name)).flatMap((w) => patternExports(w).map((key) => `${w.name} ${key}`)),
      [],
    );
    assert.ok(real.some((w) => w.name === '@meshmart/kit' && Object.keys(w.exports as object).length > 1));
    const sources = new Map(typeScriptSources(root).map((f) => [f, readFileSync(path.join(root, f), 'utf8')] as const));
    assert.deepEqual(unusedExports(real, sources), []);
  });
});
