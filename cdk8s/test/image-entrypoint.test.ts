/**
 * The image starts a service the way the local stack does: the same bundle (one bundler,
 * tools/stack/src/build/bundle.ts) under node with the same flags, so what the bench
 * measures locally is what the pods run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNodeFlags } from '@meshmart/stack';
import { repoRoot } from '../src/repo-paths.ts';
import { parseDockerfile } from './support/dockerfile.ts';

describe('the image and the local stack start a service alike', () => {
  const runtime = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')).stages.at(-1);
  const instruction = (op: string) => {
    const found = runtime?.instructions.filter((i) => i.op === op).at(-1);
    assert.ok(found, `the runtime stage has no ${op}`);
    return JSON.parse(found.args) as string[];
  };

  it('passes node the flags the stack passes', () => {
    const [binary, ...flags] = instruction('ENTRYPOINT');
    assert.match(binary ?? '', /\/node$/);
    assert.deepEqual(flags, serviceNodeFlags);
  });
});
