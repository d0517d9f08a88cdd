/**
 * The API's documentation in a browser at /api/docs: Swagger UI reading
 * /api/openapi.json, served from the swagger-ui-dist package on the gateway itself
 * (nothing from a CDN: a cluster or a laptop may have no way out). The page's scripts
 * are files, not inline, so its policy allows scripts from this origin only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RouterContext } from '@koa/router';
import type { GatewayState } from './access-control.ts';
import { routeInput } from './forward.ts';
import type { GatewayRoute } from './routes.ts';

/** The files under /api/docs/, by name: what the page loads. */
export const DOCS_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js', 'favicon-32x32.png'] as const;
export type DocsFile = (typeof DOCS_FILES)[number];

const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
};

// Swagger UI sets style attributes and draws icons from data: URLs; it calls no other origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>meshmart API</title>
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/docs.js"></script>
</body>
</html>
`;

// validatorUrl null: no badge fetched from the public validator.
const STARTER = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

const distDir = () => path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const cache = new Map<DocsFile, Promise<Buffer>>();

function content(file: DocsFile): Promise<Buffer> {
  let body = cache.get(file);
  if (!body) {
    body = file === 'docs.js' ? Promise.resolve(Buffer.from(STARTER)) : readFile(path.join(distDir(), file));
    cache.set(file, body);
  }
  return body;
}

/** GET /api/docs (the page) and GET /api/docs/:file (what it loads; any other name is a 404). */
export function docsHandler(route: GatewayRoute) {
  return async (ctx: RouterContext<GatewayState>) => {
    const file = routeInput(route, ctx).params.file as DocsFile | undefined;
    ctx.set('content-security-policy', CONTENT_SECURITY_POLICY);
    ctx.set('x-content-type-options', 'nosniff');
    if (file === undefined) {
      ctx.type = CONTENT_TYPES['.html'] as string;
      ctx.set('cache-control', 'no-cache');
      ctx.body = PAGE;
      return;
    }
    ctx.type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = await content(file);
  };
}
