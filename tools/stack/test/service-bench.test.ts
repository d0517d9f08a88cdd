import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runServiceBench } from '../src/bench/service-bench.ts';

describe("the bench runs a service's own benchmark script in a process of its own", () => {
  let dir: string;
  const script = async (name: string, source: string) => {
    const file = path.join(dir, name);
    await writeFile(file, source);
    return file;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'service-bench-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the figures from the last line of its output, after any progress', async () => {
    const file = await script('ok.ts', "console.log('warming up');\nconsole.log(JSON.stringify({ p50: 1.5, p99: 4 }));\n");
    assert.deepEqual(await runServiceBench(file, ['p50', 'p99']), { p50: 1.5, p99: 4 });
  });

  it('fails naming a figure the script did not report', async () => {
    const file = await script('short.ts', "console.log(JSON.stringify({ p50: 1.5, p99: 'slow' }));\n");
    await assert.rejects(runServiceBench(file, ['p50', 'p99']), /reported no p99/);
  });

  it('fails when the script fails or ends without a line of JSON', async () => {
    const failing = await script('fails.ts', 'console.log(JSON.stringify({ p50: 1 }));\nprocess.exit(3);\n');
    await assert.rejects(runServiceBench(failing, ['p50']), /exited with 3/);
    const silent = await script('silent.ts', "console.log('done');\n");
    await assert.rejects(runServiceBench(silent, ['p50']), /did not end with its figures as a line of JSON; its last line: done/);
  });

  it("gets renders per second for PNG and SVG from qr's render-rate script", async function () {
    this.timeout(60_000);
    const { png, svg } = await runServiceBench('services/qr/bench/render-rate.ts', ['png', 'svg']);
    for (const rate of [png, svg]) assert.ok(Number.isFinite(rate) && rate > 0, `png ${png}, svg ${svg} per s`);
  });
});
