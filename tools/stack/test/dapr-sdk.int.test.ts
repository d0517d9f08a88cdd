/**
 * Why the kit's sidecar facade (`Sidecar` in services/kit/src/dapr.ts) uses the Dapr SDK
 * for some building blocks and the sidecar's own APIs for the others, measured against a
 * real daprd on the local Redis: each case puts the SDK call next to the facade's, and
 * asserts what the SDK does today. An SDK upgrade that fixes one of these fails its case,
 * which is the signal to move that building block onto the SDK and rewrite the reason in
 * the kit's README. The components are the test's own (names, Redis database, folders),
 * so nothing of a running stack is read or written.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import { Problem, Sidecar } from '@meshmart/kit';
import { eventually, freePort, infraForThisRun } from '@meshmart/test-support';
import { Redis } from 'ioredis';
import { daprdBinary } from '../src/sidecar.ts';
import { infraUrls } from '../src/test-infra.ts';

const infra = infraForThisRun();
const APP_ID = `sdk-check-${randomBytes(3).toString('hex')}`;
const API_TOKEN = randomBytes(16).toString('hex');
/** A database no other component of the stack uses, emptied before and after. */
const REDIS_DB = 7;
const RETRY_AFTER = '7';

function component(name: string, type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata)
    .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
    .join('\n');
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items}\n`;
}

/** RSS in MiB of a fresh Node process after `code` ran and garbage was collected. */
async function rssMiB(code: string): Promise<number> {
  const script = `${code};global.gc();await new Promise((r)=>setTimeout(r,200));global.gc();console.log(process.memoryUsage().rss)`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: path.dirname(new URL(import.meta.url).pathname),
  });
  return Number(stdout.trim()) / 2 ** 20;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe('the Dapr SDK against the sidecar facade, on a real daprd', function () {
  this.timeout(120_000);
  let dir = '';
  let app: Server | undefined;
  let daprd: ChildProcess | undefined;
  let daprdLog = '';
  let redis: Redis | undefined;
  let ports = { http: 0, grpc: 0 };
  let sidecar: Sidecar;
  let sdk: DaprClient;
  let sdkGrpc: DaprClient;

  before(async function () {
    this.timeout(180_000);
    await infra.start(['redis']);
    const redisUrl = new URL(infraUrls.redis);
    const redisHost = redisUrl.host;
    redis = new Redis({ host: redisUrl.hostname, port: Number(redisUrl.port), db: REDIS_DB, lazyConnect: true });
    await redis.connect();
    await redis.flushdb();

    // The callee: answers as a service under load does, with problem+json and Retry-After.
    app = createHttpServer((req, res) => {
      if (req.url === '/busy') {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': RETRY_AFTER });
        res.end(
          JSON.stringify({ type: 'https://meshmart.dev/problems/unavailable', title: 'Busy', status: 503, detail: 'try later' }),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => app?.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as { port: number }).port;

    dir = await mkdtemp(path.join(tmpdir(), 'meshmart-sdk-check-'));
    const components = path.join(dir, 'components');
    await mkdir(components);
    await mkdir(path.join(dir, 'files'));
    await writeFile(path.join(dir, 'secrets.json'), JSON.stringify({ admin: 'measured' }));
    const db = String(REDIS_DB);
    await writeFile(path.join(components, 'state.yaml'), component('state', 'state.redis', { redisHost, redisDB: db }));
    await writeFile(path.join(components, 'events.yaml'), component('events', 'pubsub.redis', { redisHost, redisDB: db }));
    await writeFile(path.join(components, 'flags.yaml'), component('flags', 'configuration.redis', { redisHost, redisDB: db }));
    await writeFile(
      path.join(components, 'files.yaml'),
      component('files', 'bindings.localstorage', { rootPath: path.join(dir, 'files') }),
    );
    await writeFile(
      path.join(components, 'vault.yaml'),
      component('vault', 'secretstores.local.file', { secretsFile: path.join(dir, 'secrets.json'), nestedSeparator: ':' }),
    );
    await writeFile(
      path.join(dir, 'config.yaml'),
      `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: sdk-check\nspec:\n  nameResolution:\n    component: sqlite\n    version: v1\n    configuration:\n      connectionString: ${JSON.stringify(path.join(dir, 'names.db'))}\n`,
    );
    ports = { http: await freePort(), grpc: await freePort() };
    const [internal, metrics] = [await freePort(), await freePort()];
    daprd = spawn(
      daprdBinary,
      [
        ...['--app-id', APP_ID, '--app-port', String(appPort), '--app-protocol', 'http'],
        ...['--app-channel-address', '127.0.0.1', '--dapr-listen-addresses', '127.0.0.1'],
        ...['--dapr-http-port', String(ports.http), '--dapr-grpc-port', String(ports.grpc)],
        ...['--dapr-internal-grpc-port', String(internal), '--dapr-internal-grpc-listen-address', '127.0.0.1'],
        ...['--metrics-port', String(metrics), '--metrics-listen-address', '127.0.0.1'],
        ...['--resources-path', components, '--config', path.join(dir, 'config.yaml'), '--log-level', 'warn'],
      ],
      { env: { ...process.env, DAPR_API_TOKEN: API_TOKEN, DAPR_HOST_IP: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      daprdLog = (daprdLog + chunk.toString()).slice(-20_000);
    };
    daprd.stdout?.on('data', keep);
    daprd.stderr?.on('data', keep);
    sidecar = new Sidecar({ daprHttpPort: ports.http, daprGrpcPort: ports.grpc, daprApiToken: API_TOKEN });
    await eventually(
      'daprd to load the five components',
      async () => ((await sidecar.loadedComponents()).length >= 5 ? true : undefined),
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${daprdLog}`);
    });
    const common = { daprHost: '127.0.0.1', daprApiToken: API_TOKEN, logger: { level: 0 } };
    sdk = new DaprClient({ ...common, daprPort: String(ports.http), communicationProtocol: CommunicationProtocolEnum.HTTP });
    sdkGrpc = new DaprClient({ ...common, daprPort: String(ports.grpc), communicationProtocol: CommunicationProtocolEnum.GRPC });
  });

  after(async () => {
    sidecar?.close();
    await sdkGrpc?.stop().catch(() => {});
    if (daprd && daprd.exitCode === null) {
      const exited = new Promise((resolve) => daprd?.once('exit', resolve));
      daprd.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (daprd.exitCode === null) daprd.kill('SIGKILL');
    }
    await new Promise((resolve) => app?.close(resolve));
    await redis?.flushdb().catch(() => {});
    redis?.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('importing the SDK costs every process tens of MiB, so the facade loads it only for secrets', async () => {
    const base: number[] = [];
    const withSdk: number[] = [];
    for (let i = 0; i < 3; i++) {
      base.push(await rssMiB('await Promise.resolve()'));
      withSdk.push(await rssMiB("const { DaprClient } = await import('@dapr/dapr'); new DaprClient()"));
    }
    const cost = median(withSdk) - median(base);
    console.log(
      `      SDK import + client: +${cost.toFixed(1)} MiB RSS (median of 3: ${median(base).toFixed(1)} → ${median(withSdk).toFixed(1)})`,
    );
    assert.ok(cost > 20, `the SDK now costs only ${cost.toFixed(1)} MiB: loading it up front may be fine`);
  });

  it('state: the SDK get drops the ETag, and its save reports a conflict as a value rather than an error', async () => {
    const key = `k-${randomUUID()}`;
    assert.equal(await sidecar.saveState('state', { key, value: { n: 1 } }), true);
    const read = await sidecar.getState<{ n: number }>('state', key);
    assert.deepEqual(read.value, { n: 1 });
    assert.ok(read.etag, 'the facade reads the ETag');

    const sdkRead = await sdk.state.get('state', key);
    assert.deepEqual(sdkRead, { n: 1 }, 'the SDK get answers the bare value, with no ETag anywhere');
    const bulk = await sdk.state.getBulk('state', [key]);
    assert.equal((bulk[0] as { etag?: string }).etag, read.etag, 'getBulk does carry it, at the price of a bulk call per read');

    // Redis ETags are versions: one that is not the current version is what a lost race reads.
    const staleEtag = String(Number(read.etag) + 5);
    const stale = await sdk.state.save('state', [
      {
        key,
        value: { n: 2 },
        etag: staleEtag,
        options: {
          concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE,
          consistency: StateConsistencyEnum.CONSISTENCY_STRONG,
        },
      },
    ]);
    assert.ok(stale.error, 'the SDK resolves a refused write with { error }; a caller that does not look loses it');
    assert.equal(await sidecar.saveState('state', { key, value: { n: 2 }, etag: staleEtag }), false);
    assert.deepEqual((await sidecar.getState('state', key)).value, { n: 1 });
  });

  it('publish: the SDK carries traceparent only as cloudevent metadata, and resolves a refused publish, so the outbox could not park it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const topic = `t-${randomUUID()}`;
    await sidecar.publish('events', topic, { via: 'facade' }, { traceparent });
    await sdk.pubsub.publish('events', topic, { via: 'sdk' });
    await sdk.pubsub.publish('events', topic, { via: 'sdk-metadata' }, { metadata: { 'cloudevent.traceparent': traceparent } });
    const events = await eventually('three events on the stream', async () => {
      const entries = await redis?.xrange(topic, '-', '+');
      if (!entries || entries.length < 3) return undefined;
      return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1] ?? '{}') as Record<string, unknown>);
    });
    const byVia = (via: string) => events.find((e) => (e.data as { via?: string }).via === via);
    assert.equal(byVia('facade')?.traceparent, traceparent, 'the facade continues the producer trace');
    assert.notEqual(
      byVia('sdk')?.traceparent,
      traceparent,
      'the SDK has no way to hand over the caller’s traceparent as a header',
    );
    // daprd's cloudevent.* metadata override does carry it: traceparent alone is no reason to keep the SDK away.
    assert.equal(byVia('sdk-metadata')?.traceparent, traceparent);

    const refused = await sdk.pubsub.publish('no-such-pubsub', topic, { via: 'sdk' });
    assert.ok(refused.error, 'the SDK resolves a refused publish with { error } instead of rejecting');
    await assert.rejects(sidecar.publish('no-such-pubsub', topic, {}), /publish to .* failed: 404/);
  });

  it('bindings: the SDK reads a binding’s answer as text, which corrupts file bytes', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x80, 0x10]);
    await sidecar.invokeBinding('files', {
      operation: 'create',
      data: bytes.toString('base64'),
      metadata: { fileName: 'image.bin', decodeBase64: 'true' },
    });
    assert.deepEqual(await readFile(path.join(dir, 'files', 'image.bin')), bytes, 'the file holds the bytes');
    assert.deepEqual(
      await sidecar.invokeBindingForBytes('files', { operation: 'get', metadata: { fileName: 'image.bin' } }),
      bytes,
    );
    const viaSdk: unknown = await sdk.binding.send('files', 'get', undefined, { fileName: 'image.bin' });
    assert.equal(typeof viaSdk, 'string');
    assert.notDeepEqual(Buffer.from(viaSdk as string, 'latin1'), bytes, 'the SDK’s text decode cannot be undone');
    assert.notDeepEqual(Buffer.from(viaSdk as string, 'utf8'), bytes);
  });

  it('invoke: the SDK turns a problem+json answer into an Error whose message holds the text, and drops Retry-After', async () => {
    const err = await sdk.invoker.invoke(APP_ID, 'busy', HttpMethod.GET).then(
      () => assert.fail('the SDK resolved a 503'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error && !(err instanceof Problem));
    const wrapped = JSON.parse(err.message) as Record<string, unknown>;
    assert.deepEqual(Object.keys(wrapped).sort(), ['error', 'error_msg', 'status']);
    assert.equal(typeof wrapped.error_msg, 'string', 'the problem body survives only as a string inside the message');
    assert.ok(!JSON.stringify(err).includes(RETRY_AFTER) && !err.message.toLowerCase().includes('retry-after'));

    const problem = await sidecar.invoke(APP_ID, 'busy').then(
      () => assert.fail('the facade resolved a 503'),
      (e: unknown) => e,
    );
    assert.ok(problem instanceof Problem);
    assert.equal(problem.status, 503);
    assert.equal(problem.detail, 'try later');
    assert.equal(problem.headers['retry-after'], RETRY_AFTER);
  });

  it('secrets: the SDK serves them, so the facade reads secrets through it', async () => {
    assert.deepEqual(await sdk.secret.get('vault', 'admin'), { admin: 'measured' } as never);
    assert.deepEqual(await sidecar.secret('vault', 'admin'), await sdk.secret.get('vault', 'admin'));
    await assert.rejects(sidecar.secret('vault', 'nobody'));
  });

  it('configuration: the SDK’s HTTP client has none, and its gRPC subscription hides a stream that failed', async () => {
    await assert.rejects(sdk.configuration.get('flags', ['a']), /not supported|HTTPNotSupported/i);

    const key = `flag-${randomUUID()}`;
    const seen: string[] = [];
    const subscription = await sdkGrpc.configuration.subscribeWithKeys('flags', [key], async (change) => {
      const item = change.items[key];
      if (item) seen.push(item.value);
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis?.set(key, 'on||1');
    await eventually('the SDK subscription to see the change', async () => (seen.includes('on') ? true : undefined), 10_000);
    await subscription.stop();

    // A subscription the sidecar refuses: the SDK resolves, and nothing ever tells the caller.
    let sdkHeard = false;
    const doomed = await sdkGrpc.configuration.subscribeWithKeys('no-such-store', [key], async () => {
      sdkHeard = true;
    });
    let facadeEnded = '';
    const facade = sidecar.subscribeConfiguration('no-such-store', [key], {
      onItems: () => {},
      onEnd: (reason) => {
        facadeEnded = reason;
      },
    });
    await eventually('the facade to report the refused subscription', async () => (facadeEnded ? true : undefined), 10_000);
    assert.match(facadeEnded, /no-such-store|not found/i);
    assert.equal(sdkHeard, false);
    assert.deepEqual(Object.keys(doomed), ['stop'], 'the SDK’s handle has no way to learn the stream is gone');
    facade.cancel();
    await doomed.stop();

    let facadeSeen: Record<string, string> = {};
    const following = sidecar.subscribeConfiguration('flags', [key], {
      onItems: (items) => {
        facadeSeen = { ...facadeSeen, ...items };
      },
      onEnd: (reason) => assert.fail(`the subscription ended: ${reason}`),
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis?.set(key, 'off||2');
    await eventually('the facade subscription to see the change', async () => (facadeSeen[key] ? true : undefined), 10_000);
    assert.equal(facadeSeen[key], 'off');
    assert.deepEqual(await sidecar.getConfiguration('flags', [key]), { [key]: 'off' });
    following.cancel();
  });
});
