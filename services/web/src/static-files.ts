/**
 * Serves the built single-page app. Vite names every asset after its content hash, so
 * `/assets/*` never changes under a name and is cached for a year; `index.html` names
 * those assets and is revalidated on every load. Any other path without a file behind it
 * is a client-side route and gets `index.html` (the SPA fallback).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { problems } from '@meshmart/kit';
import type { Context } from 'koa';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Everything the page loads comes from this origin; QR images arrive as blob: URLs and
 * charts draw on canvas. No inline script or style attribute is needed by the build.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

/** Reads the whole build once: it is a few hundred kilobytes and never changes while running. */
export async function loadAssets(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const urlPath = `/${path.relative(dir, full).split(path.sep).join('/')}`;
    if (urlPath.startsWith('/.vite/')) continue;
    const body = await readFile(full);
    files.set(urlPath, {
      body,
      type: TYPES[path.extname(entry.name)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
    });
  }
  if (!files.has('/index.html')) throw new Error(`no index.html in ${dir}: run npm run build -w @meshmart/web`);
  return files;
}

export function serveStatic(files: Map<string, StaticFile>) {
  return (ctx: Context) => {
    let file = files.get(ctx.path);
    if (!file) {
      // A missing hashed asset or file with an extension is a real 404: answering it with
      // HTML would hand the browser a page where it expects a script.
      if (ctx.path.startsWith('/assets/') || path.extname(ctx.path) !== '') throw problems.notFound(`no file at ${ctx.path}`);
      file = files.get('/index.html');
    }
    if (!file) throw problems.notFound(`no file at ${ctx.path}`);
    ctx.set('content-security-policy', contentSecurityPolicy);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('referrer-policy', 'same-origin');
    ctx.set('cache-control', file.cacheControl);
    ctx.set('etag', file.etag);
    ctx.type = file.type;
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.body = file.body;
  };
}
