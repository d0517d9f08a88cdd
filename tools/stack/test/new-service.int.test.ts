/**
 * What adding a service takes: a topology entry and a `services/<name>` folder whose
 * `main.ts` launches the declaration in its `service.ts`. The service here exists only in
 * this test's topology and in a folder the test writes; the stack's own functions bundle
 * and start it and a real daprd from `.tools` next to it, and the test calls it through
 * Dapr service invocation, as any other app of the mesh would.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ServiceName, type ServiceSpec, services } from '@meshmart/kit/topology';
import { eventually } from '@meshmart/test-support';
import { serviceEnv } from '../src/app-env.ts';
import { appLaunch } from '../src/app-launch.ts';
import { ensureBundles } from '../src/build/service-bundles.ts';
import { daprFileLocations, writeDaprFiles } from '../src/dapr-files.ts';
import { dataDir } from '../src/paths.ts';
import { servicePorts } from '../src/ports.ts';
import { type Child, startChild } from '../src/processes.ts';
import { daprdArgs, daprdBinary, daprdCwd, daprdEnv, type Tokens } from '../src/sidecar.ts';

/** Not a kit ServiceName: the kit's topology does not know it, only this test's. */
const NAME = 'greeter' as ServiceName;

/** The topology entry: the one place besides the folder that names the new service. */
const greeter: ServiceSpec = {
  name: NAME,
  description: 'Greets whoever asks; exists only in this test',
  appProtocol: 'http',
  port: 8099,
  grpcServices: [],
  public: false,
  calls: [],
  publishes: [],
  subscribes: [],
  components: [],
  scalesOut: false,
};
const topology = [...services, greeter];

const mainTs = `import { launch } from '@meshmart/kit/launch';

await launch('${NAME}', () => import('./service.ts'));
`;

const serviceTs = `import { defineService, env, problems, serviceConfig } from '@meshmart/kit';

export const service = defineService({
  name: '${NAME}',
  config: serviceConfig('${NAME}', { GREETING: env.string('hello') }),
  compose: ({ config }) => ({
    routes: (router) => {
      router.get('/greetings/:who', (ctx) => {
        if (ctx.params.who === 'nobody') throw problems.notFound('nobody to greet');
        ctx.body = { greeting: \`\${config.GREETING}, \${ctx.params.who}\` };
      });
    },
  }),
});
`;

describe('a service that only the topology and its folder describe', function () {
  this.timeout(180_000);
  const root = path.join(dataDir, `new-service-${randomBytes(4).toString('hex')}`);
  const tokens: Tokens = { daprApiToken: randomBytes(24).toString('hex'), appApiToken: randomBytes(24).toString('hex') };
  const ports = servicePorts(NAME, topology);
  const children: Child[] = [];
  const invoke = (method: string, headers: Record<string, string> = { 'dapr-api-token': tokens.daprApiToken }) =>
    fetch(`http://127.0.0.1:${ports.daprHttp}/v1.0/invoke/${NAME}/method/${method}`, { headers });

  before(async () => {
    const src = path.join(root, 'services', NAME, 'src');
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'main.ts'), mainTs);
    await writeFile(path.join(src, 'service.ts'), serviceTs);
    await writeDaprFiles(daprFileLocations('run'));
    await ensureBundles(root, [NAME]);

    children.push(
      startChild({
        name: `${NAME}.daprd`,
        command: daprdBinary,
        args: daprdArgs(NAME, topology),
        env: daprdEnv(NAME, tokens, topology),
        cwd: daprdCwd,
        output: 'file',
      }),
      startChild({
        name: NAME,
        ...appLaunch(NAME, root),
        env: { ...serviceEnv(NAME, tokens, topology), GREETING: 'hi', OTEL_SDK_DISABLED: 'true' },
        cwd: root,
        output: 'file',
      }),
    );
    // Ready, not merely reachable: daprd passes a call or two before it starts probing the
    // app and refuses them until its first probe passes (the kit's sidecar readiness).
    await eventually(`${NAME} ready through its sidecar`, async () => ((await invoke('readyz')).ok ? true : undefined));
  });

  // A failed check through the sidecar can be daprd's answer, not the app's: say what both logged.
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const child of children) {
      console.error(`--- last lines of ${child.logFile}\n${await child.lastLines(25)}`);
    }
  });

  after(async () => {
    await Promise.all(children.map((child) => child.stop()));
    await rm(root, { recursive: true, force: true });
  });

  it('is not part of the kit topology, so only the test topology gives it ports', () => {
    assert.equal(
      services.some((s) => s.name === NAME),
      false,
    );
    assert.throws(() => daprdArgs(NAME), /the local plan has no service greeter/);
    assert.throws(() => servicePorts(NAME), /unknown service greeter/);
  });

  it('answers a declared route through Dapr service invocation, with its configuration', async () => {
    const res = await invoke('greetings/ada');
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.deepEqual(JSON.parse(body), { greeting: 'hi, ada' });
  });

  it('answers problem+json from its route and 404 for a route it does not declare', async () => {
    const refused = await invoke('greetings/nobody');
    const problem = await refused.text();
    assert.equal(refused.status, 404, problem);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((JSON.parse(problem) as { detail: string }).detail, 'nobody to greet');
    const unknown = await invoke('farewells/ada');
    assert.equal(unknown.status, 404, await unknown.text());
  });

  it('is ready once its sidecar is, and its sidecar refuses callers without the API token', async () => {
    const ready = await invoke('readyz');
    const body = await ready.text();
    assert.equal(ready.status, 200, body);
    assert.equal((JSON.parse(body) as { status: string }).status, 'ready');
    assert.equal((await invoke('greetings/ada', {})).status, 401);
  });

  it('refuses a call that bypasses its sidecar: the app port wants the sidecar token', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.app}/greetings/ada`);
    assert.equal(res.status, 401);
  });
});
