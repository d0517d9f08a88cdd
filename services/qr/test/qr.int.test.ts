/**
 * qr on the real servers: the service and its own daprd from the local stack, called
 * over gRPC through that sidecar (`dapr-app-id: qr`) the way the gateway calls it, with
 * PostgreSQL, Redis (state store) and the localstorage blob binding all real.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createPool, type RunningServer, sidecarGrpcClient, unary } from '@meshmart/kit';
import {
  type BatchItem,
  ErrorCorrection,
  type GenerateQRBatchRequest,
  type GenerateQRBatchResponse,
  type GenerateQRRequest,
  ImageFormat,
  QRServiceClient,
} from '@meshmart/proto/qr/v1/qr';
import { infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import { eventually, freePort } from '@meshmart/test-support';
import { decodePng, decodeSvg } from '@meshmart/test-support/qr';
import type pg from 'pg';
import { service } from '../src/service.ts';

const blobDir = fileURLToPath(new URL('../../../.data/blobs/', import.meta.url));
const owner = `owner-${randomUUID()}`;
const run = randomUUID().slice(0, 8);
const link = (n: number | string) => `https://meshmart.local/s/${run}-${n}`;

interface StreamResult {
  messages: GenerateQRBatchResponse[];
  error?: grpc.ServiceError;
}

function collect(stream: grpc.ClientReadableStream<GenerateQRBatchResponse>): Promise<StreamResult> {
  return new Promise((resolve) => {
    const messages: GenerateQRBatchResponse[] = [];
    stream.on('data', (m: GenerateQRBatchResponse) => messages.push(m));
    stream.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages }));
  });
}

async function rejectsWith(call: Promise<unknown>, code: grpc.status, field: RegExp): Promise<void> {
  await assert.rejects(call, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
    assert.match(err.details, field);
    return true;
  });
}

describe('qr service on the real servers', function () {
  this.timeout(120_000);
  let stack: StackHandle;
  let client: QRServiceClient;
  let db: pg.Pool;
  const generate = (request: Partial<GenerateQRRequest>) =>
    unary(client.generateQr.bind(client), { content: '', options: undefined, ownerId: owner, ...request }, 15_000);
  const getQr = (id: string) => unary(client.getQr.bind(client), { id }, 15_000);
  const batch = (request: Partial<GenerateQRBatchRequest>, options?: Partial<grpc.CallOptions>) =>
    client.generateQrBatch({ items: [], options: undefined, ownerId: owner, ...request }, new grpc.Metadata(), {
      deadline: Date.now() + 60_000,
      ...options,
    });
  const rowsFor = async (contentPrefix: string) =>
    Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM qr_codes WHERE starts_with(content, $1)', [contentPrefix]))
        .rows[0]?.n,
    );

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({ quiet: true, services: ['qr'] });
    const ports = stack.ports.services.qr;
    if (!ports) throw new Error('the stack has no ports for qr');
    client = sidecarGrpcClient(QRServiceClient, 'qr', {
      daprGrpcPort: ports.daprGrpc,
      daprApiToken: stack.tokens.daprApiToken,
    });
    db = createPool(infraUrls.postgres('qr'), 2);
  });

  after(async () => {
    client?.close();
    await db?.end();
    await stack?.stop();
  });

  it('renders a PNG that reads back as the link, stores it, and GetQR returns the same bytes', async () => {
    const { qr, image, cached } = await generate({ content: link('png') });
    assert.ok(qr);
    assert.equal(cached, false);
    assert.equal(qr.contentType, 'image/png');
    assert.equal(qr.format, ImageFormat.IMAGE_FORMAT_PNG);
    assert.deepEqual([qr.size, qr.errorCorrection, qr.margin], [256, ErrorCorrection.ERROR_CORRECTION_M, 4]);
    assert.deepEqual([qr.darkColor, qr.lightColor, qr.content], ['#000000', '#ffffff', link('png')]);
    assert.equal(qr.byteLength, image.length);
    assert.equal(decodePng(image), link('png'));

    const onDisk = await readFile(`${blobDir}qr/${qr.id}.png`);
    assert.ok(onDisk.equals(image), 'the blob binding wrote the PNG bytes as they are');

    const got = await getQr(qr.id);
    assert.deepEqual(got.qr, qr);
    assert.ok(got.image.equals(image), 'GetQR returns the stored bytes');
  });

  it('renders an SVG that is well-formed, sized as asked, and reads back as the content', async () => {
    const content = `${link('svg')}?utm=qr&name=Grüße`;
    const { qr, image } = await generate({
      content,
      options: {
        format: ImageFormat.IMAGE_FORMAT_SVG,
        size: 400,
        errorCorrection: ErrorCorrection.ERROR_CORRECTION_Q,
        margin: 2,
        darkColor: '#1E3A8A',
        lightColor: '#fffff0',
      },
    });
    assert.ok(qr);
    assert.equal(qr.contentType, 'image/svg+xml');
    assert.deepEqual([qr.darkColor, qr.lightColor], ['#1e3a8a', '#fffff0']);
    const svg = image.toString('utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="400" height="400" viewBox="0 0 \d+ \d+"[^>]*>/);
    assert.match(svg, /<\/svg>\s*$/);
    const tags = [...svg.matchAll(/<(\/?)(\w+)[^>]*?(\/?)>/g)];
    const open: string[] = [];
    for (const [, closing, name, selfClosing] of tags) {
      if (closing) assert.equal(open.pop(), name, 'tags close in order');
      else if (!selfClosing) open.push(name as string);
    }
    assert.deepEqual(open, [], 'every tag is closed');
    assert.equal(decodeSvg(svg), content);
    assert.ok((await getQr(qr.id)).image.equals(image));
  });

  /** A series' value on qr's /metrics (0 when absent). */
  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${stack.ports.services.qr?.admin}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  }

  it('serves the same request again from the cache: same id, no new row, no rendering', async () => {
    const content = link('repeat');
    const first = await generate({ content });
    assert.equal(first.cached, false);
    const renders = await metric('qr_render_seconds_count', { format: 'png' });
    const stateHits = await metric('dapr_client_requests_total', { operation: 'state_get', outcome: '200' });
    // Defaults spelled out are the same request.
    const second = await generate({
      content,
      options: {
        format: ImageFormat.IMAGE_FORMAT_PNG,
        size: 256,
        errorCorrection: ErrorCorrection.ERROR_CORRECTION_M,
        margin: 4,
        darkColor: '#000000FF',
        lightColor: '#ffffff',
      },
      ownerId: `someone-else-${run}`,
    });
    assert.equal(second.cached, true);
    assert.equal(second.qr?.id, first.qr?.id);
    assert.ok(second.image.equals(first.image));
    assert.equal(await rowsFor(content), 1);
    assert.equal(await metric('qr_render_seconds_count', { format: 'png' }), renders, 'nothing was rendered');
    assert.equal(
      await metric('dapr_client_requests_total', { operation: 'state_get', outcome: '200' }),
      stateHits + 1,
      'the state store answered the repeat',
    );

    const events = await db.query<{ data: { cached: boolean; ownerId: string; batch: boolean; format: string } }>(
      "SELECT envelope->'data' AS data FROM outbox WHERE topic = 'qr.generated' AND envelope->'data'->>'qrId' = $1 ORDER BY created_at",
      [first.qr?.id],
    );
    assert.deepEqual(
      events.rows.map((r) => [r.data.cached, r.data.ownerId, r.data.batch, r.data.format]),
      [
        [false, owner, false, 'png'],
        [true, `someone-else-${run}`, false, 'png'],
      ],
    );
    await eventually('the qr.generated events to be published', async () => {
      const { rows } = await db.query("SELECT 1 FROM outbox WHERE envelope->'data'->>'qrId' = $1 AND published_at IS NULL", [
        first.qr?.id,
      ]);
      return rows.length === 0 ? true : undefined;
    });
  });

  it('renders anew when the cache names a code whose row is gone, and announces only the new one', async () => {
    const content = link('outlived');
    const first = await generate({ content });
    assert.equal(first.cached, false);
    const firstId = first.qr?.id;
    // A restored or rebuilt database: the state store still maps the content to the old row.
    await db.query('DELETE FROM qr_codes WHERE id = $1', [firstId]);
    const renders = await metric('qr_render_seconds_count', { format: 'png' });
    const stateHits = await metric('dapr_client_requests_total', { operation: 'state_get', outcome: '200' });
    const again = await generate({ content });
    assert.equal(
      await metric('dapr_client_requests_total', { operation: 'state_get', outcome: '200' }),
      stateHits + 1,
      'the state store still answered with the old entry',
    );
    assert.equal(again.cached, false, 'a cache entry without its row is not a hit');
    assert.notEqual(again.qr?.id, firstId);
    assert.equal(await metric('qr_render_seconds_count', { format: 'png' }), renders + 1, 'rendered again');
    assert.equal(decodePng(again.image), content);
    const announced = async (id: string | undefined) =>
      (
        await db.query<{ cached: boolean }>(
          "SELECT (envelope->'data'->>'cached')::boolean AS cached FROM outbox WHERE topic = 'qr.generated' AND envelope->'data'->>'qrId' = $1",
          [id],
        )
      ).rows.map((r) => r.cached);
    assert.deepEqual(await announced(firstId), [false], 'nothing more announced for the row that is gone');
    assert.deepEqual(await announced(again.qr?.id), [false]);
    // The cache now names the new row.
    const third = await generate({ content });
    assert.deepEqual([third.cached, third.qr?.id], [true, again.qr?.id]);
  });

  it('refuses oversize content, sizes and margins, bad colours and content that does not fit, naming the field', async () => {
    await rejectsWith(generate({ content: 'x'.repeat(2049) }), grpc.status.INVALID_ARGUMENT, /content .*2048/);
    await rejectsWith(generate({ content: '' }), grpc.status.INVALID_ARGUMENT, /content/);
    const opts = { format: 0, errorCorrection: 0 };
    await rejectsWith(
      generate({ content: link('big'), options: { ...opts, size: 4096 } }),
      grpc.status.INVALID_ARGUMENT,
      /options\.size must be from 64 to 2048/,
    );
    await rejectsWith(
      generate({ content: link('m'), options: { ...opts, margin: 17 } }),
      grpc.status.INVALID_ARGUMENT,
      /options\.margin/,
    );
    await rejectsWith(
      generate({ content: link('c'), options: { ...opts, darkColor: 'red' } }),
      grpc.status.INVALID_ARGUMENT,
      /options\.dark_color/,
    );
    await rejectsWith(
      generate({ content: 'y'.repeat(2000), options: { ...opts, errorCorrection: ErrorCorrection.ERROR_CORRECTION_H } }),
      grpc.status.INVALID_ARGUMENT,
      /does not fit .* error correction H/,
    );
    await rejectsWith(generate({ content: link('o'), ownerId: '' }), grpc.status.INVALID_ARGUMENT, /owner_id/);
  });

  it('answers NOT_FOUND for an unknown or malformed id', async () => {
    await rejectsWith(getQr(randomUUID()), grpc.status.NOT_FOUND, /no QR code/);
    await rejectsWith(getQr('../../etc/passwd'), grpc.status.NOT_FOUND, /no QR code/);
    await rejectsWith(getQr(''), grpc.status.NOT_FOUND, /no QR code/);
  });

  it('streams a batch of 200 in order with a summary; bad items fail alone; repeats come from the cache', async () => {
    const contentOf = (i: number) => link(`batch-${i}`);
    // Item 3 repeats item 2: the same code, made once.
    const items: BatchItem[] = Array.from({ length: 200 }, (_, i) => ({
      content: contentOf(i === 3 ? 2 : i),
      options: undefined,
    }));
    items[57] = { content: 'z'.repeat(3000), options: undefined };
    items[120] = { content: contentOf(120), options: { format: 0, errorCorrection: 0, size: 10 } };
    items[150] = {
      content: contentOf(150),
      options: { format: ImageFormat.IMAGE_FORMAT_PNG, errorCorrection: 0, size: 320 },
    };
    const { messages, error } = await collect(
      batch({ items, options: { format: ImageFormat.IMAGE_FORMAT_SVG, errorCorrection: 0, margin: 1 } }),
    );
    assert.equal(error, undefined, error?.details);
    assert.equal(messages.length, 201);
    const progress = messages.slice(0, 200).map((m) => {
      assert.equal(m.event?.$case, 'progress');
      return m.event.value;
    });
    assert.deepEqual(
      progress.map((p) => p.index),
      items.map((_, i) => i),
    );
    for (const p of progress) assert.equal(p.total, 200);

    const failed = progress.filter((p) => !p.ok);
    assert.deepEqual(
      failed.map((p) => p.index),
      [57, 120],
    );
    assert.match(failed[0]?.error ?? '', /items\[57\]\.content/);
    assert.match(failed[1]?.error ?? '', /items\[120\]\.options\.size/);
    // Items 2 and 3 may run at once; either way one code is made and the other is the cache's.
    assert.deepEqual([progress[2]?.cached, progress[3]?.cached].sort(), [false, true]);
    assert.equal(progress[3]?.qr?.id, progress[2]?.qr?.id);
    assert.equal(progress[10]?.qr?.contentType, 'image/svg+xml');
    assert.equal(progress[10]?.qr?.margin, 1);
    assert.deepEqual([progress[150]?.qr?.contentType, progress[150]?.qr?.size], ['image/png', 320]);

    const last = messages[200]?.event;
    assert.equal(last?.$case, 'summary');
    assert.deepEqual(last.$case === 'summary' && { ...last.value, durationMs: 0 }, {
      total: 200,
      succeeded: 198,
      failed: 2,
      cached: 1,
      durationMs: 0,
    });

    const item10 = await getQr(progress[10]?.qr?.id ?? '');
    assert.equal(decodeSvg(item10.image.toString()), contentOf(10));
    assert.equal(decodePng((await getQr(progress[150]?.qr?.id ?? '')).image), contentOf(150));
    assert.equal(await rowsFor(link('batch-')), 197, 'one row per distinct good item');
    const { rows } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM outbox WHERE topic = 'qr.generated' AND envelope->'data'->>'batch' = 'true' AND envelope->'data'->>'ownerId' = $1",
      [owner],
    );
    assert.equal(Number(rows[0]?.n), 198, 'one qr.generated per good item, the cached one included');
  });

  it('refuses a batch over 500 items or an empty one before any output', async () => {
    const items = Array.from({ length: 501 }, (_, i) => ({ content: link(`over-${i}`), options: undefined }));
    const over = await collect(batch({ items }));
    assert.equal(over.messages.length, 0);
    assert.equal(over.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(over.error?.details ?? '', /items .*at most 500/);
    assert.equal(await rowsFor(link('over-')), 0);

    const empty = await collect(batch({ items: [] }));
    assert.equal(empty.messages.length, 0);
    assert.equal(empty.error?.code, grpc.status.INVALID_ARGUMENT);
  });

  it('stops generating when the caller cancels a batch', async () => {
    const prefix = link('cancel-');
    const items = Array.from({ length: 500 }, (_, i) => ({ content: `${prefix}${i}`, options: undefined }));
    const stream = batch({ items });
    await new Promise<void>((resolve) => {
      let seen = 0;
      stream.on('data', () => {
        seen++;
        if (seen === 5) {
          stream.cancel();
          resolve();
        }
      });
      stream.on('error', () => resolve());
    });
    // Once the rows stop growing, work has stopped: far short of the 500 asked for.
    let previous = -1;
    const settled = await eventually('batch work to stop after the cancel', async () => {
      const now = await rowsFor(prefix);
      const stable = now === previous;
      previous = now;
      if (stable) return now;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return undefined;
    });
    assert.ok(settled >= 5 && settled < 100, `${settled} codes were made after cancelling at 5`);
  });

  it('keeps answering when the state store fails: renders, and repeats still find the stored code', async () => {
    // A second qr process in this test whose state store name matches no component,
    // so every cache read and write fails in the sidecar.
    const ports = stack.ports.services.qr;
    if (!ports) throw new Error('no qr ports');
    const [port, adminPort] = [await freePort(), await freePort()];
    const appToken = 'broken-cache-test-token';
    const server: RunningServer = await service.start(
      service.loadConfig({
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        BIND_HOST: '127.0.0.1',
        DATABASE_URL: infraUrls.postgres('qr'),
        DAPR_HTTP_PORT: String(ports.daprHttp),
        DAPR_API_TOKEN: stack.tokens.daprApiToken,
        APP_API_TOKEN: appToken,
        STATE_STORE: 'no-such-store',
        LOG_LEVEL: 'error',
      }),
      { handleSignals: false },
    );
    const direct = new QRServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = (content: string) =>
        new Promise<{ id: string; cached: boolean; image: Buffer }>((resolve, reject) => {
          const md = new grpc.Metadata();
          md.set('dapr-api-token', appToken);
          direct.generateQr({ content, options: undefined, ownerId: owner }, md, (err, res) =>
            err ? reject(err) : resolve({ id: res.qr?.id ?? '', cached: res.cached, image: res.image }),
          );
        });
      const first = await call(link('no-cache'));
      assert.equal(first.cached, false);
      assert.equal(decodePng(first.image), link('no-cache'));
      const again = await call(link('no-cache'));
      assert.deepEqual([again.id, again.cached], [first.id, true]);
      assert.equal(await rowsFor(link('no-cache')), 1);
    } finally {
      direct.close();
      await server.close();
    }
  });
});
