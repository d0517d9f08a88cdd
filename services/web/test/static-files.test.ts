import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, createLogger, finishApp } from '@meshmart/kit';
import { contentSecurityPolicy, IMMUTABLE, loadAssets, REVALIDATE, serveStatic } from '../src/static-files.ts';

describe('web static files', () => {
  let dir: string;
  let base: string;
  let close: () => void;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'web-assets-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const service = createApp({ service: 'web', logger: createLogger('web', 'error'), appToken: 'app-token' });
    service.router.get('{/*path}', serveStatic(await loadAssets(dir)));
    const server = finishApp(service).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => {
    close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string, headers: Record<string, string> = {}) =>
    fetch(base + p, { headers: { 'dapr-api-token': 'app-token', ...headers } });

  it('serves hashed assets as immutable and index.html as revalidated, both with the CSP', async () => {
    const asset = await get('/assets/index-abc123.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), IMMUTABLE);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    const page = await get('/');
    assert.equal(page.headers.get('cache-control'), REVALIDATE);
    assert.equal(page.headers.get('content-security-policy'), contentSecurityPolicy);
    assert.equal(await page.text(), '<!doctype html><title>app</title>');
  });

  it('answers client-side routes with index.html, and a missing file with 404', async () => {
    const route = await get('/orders/0b5a');
    assert.equal(route.status, 200);
    assert.match(await route.text(), /<title>app<\/title>/);
    assert.equal((await get('/assets/index-gone.js')).status, 404);
    assert.equal((await get('/favicon.png')).status, 404);
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await get('/');
    const again = await get('/', { 'if-none-match': first.headers.get('etag') ?? '' });
    assert.equal(again.status, 304);
    assert.equal((await get('/', { 'if-none-match': '"other"' })).status, 200);
  });

  it('refuses callers without the app token: only the sidecar may reach it', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 401);
  });

  it('refuses to start without a build', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'web-empty-'));
    await assert.rejects(loadAssets(empty), /no index.html/);
    rmSync(empty, { recursive: true, force: true });
  });
});
