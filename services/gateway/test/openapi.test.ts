import assert from 'node:assert/strict';
import { buildOpenApi, openApiPath } from '../src/openapi.ts';
import { routes } from '../src/routes.ts';

type Operation = {
  operationId: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

const doc = buildOpenApi(routes, '1.2.3') as unknown as Doc;
const op = (method: string, path: string): Operation => {
  const found = doc.paths[path]?.[method];
  assert.ok(found, `${method} ${path} is documented`);
  return found;
};

describe('OpenAPI document from the route table', () => {
  it('is OpenAPI 3.1 with a bearer security scheme', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('documents every route of the table, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    const declared = routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`);
    assert.deepEqual(documented.sort(), declared.sort());
    assert.ok(declared.includes('get /api/users/me/addresses/{id}'));
  });

  it('gives every operation a unique id', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('describes request bodies from the validation schemas', () => {
    assert.deepEqual(op('post', '/api/auth/register').requestBody?.content['application/json']?.schema, {
      $ref: '#/components/schemas/RegisterRequest',
    });
    const register = doc.components.schemas.RegisterRequest as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { minLength?: number }>;
    };
    assert.deepEqual(register.required.sort(), ['displayName', 'email', 'password']);
    assert.equal(register.additionalProperties, false);
    assert.equal(register.properties.password?.minLength, 8);
  });

  it('documents problem+json errors, including those implied by validation, auth and limits', () => {
    const putAddress = op('put', '/api/users/me/addresses/{id}');
    for (const status of ['400', '401', '404', '413', '429', '503', '504']) {
      assert.deepEqual(putAddress.responses[status]?.content?.['application/problem+json']?.schema, {
        $ref: '#/components/schemas/Problem',
      });
    }
    assert.ok(op('get', '/api/admin/users').responses['403'], 'admin routes document 403');
    assert.equal(op('get', '/api/users/me').responses['403'], undefined);
    assert.ok(op('post', '/api/auth/register').responses['409']);
  });

  it('marks protected routes with bearer security and leaves public ones open', () => {
    assert.deepEqual(op('get', '/api/users/me').security, [{ bearerAuth: [] }]);
    assert.equal(op('post', '/api/auth/login').security, undefined);
  });

  it('describes path and query parameters', () => {
    assert.deepEqual(
      op('delete', '/api/users/me/addresses/{id}').parameters?.map(({ name, in: where, required }) => ({
        name,
        where,
        required,
      })),
      [{ name: 'id', where: 'path', required: true }],
    );
    assert.deepEqual(
      op('get', '/api/admin/users').parameters?.map(({ name, in: where, required }) => ({ name, where, required })),
      [
        { name: 'limit', where: 'query', required: false },
        { name: 'offset', where: 'query', required: false },
      ],
    );
  });

  it('documents the commerce routes with their access rules', () => {
    assert.equal(op('get', '/api/products').security, undefined, 'anyone may browse the catalog');
    for (const [method, path] of [
      ['post', '/api/products'],
      ['put', '/api/products/{id}'],
      ['delete', '/api/products/{id}'],
      ['put', '/api/products/{id}/stock'],
      ['post', '/api/categories'],
    ] as const) {
      assert.ok(op(method, path).responses['403'], `${method} ${path} is for admins`);
    }
    for (const [method, path] of [
      ['get', '/api/orders'],
      ['get', '/api/orders/{id}'],
      ['post', '/api/orders/{id}/cancel'],
      ['get', '/api/notifications'],
      ['post', '/api/notifications/{id}/read'],
    ] as const) {
      assert.deepEqual(op(method, path).security, [{ bearerAuth: [] }]);
      assert.equal(op(method, path).responses['403'], undefined);
    }
  });

  it('documents checkout: the Idempotency-Key header, repeat and pending answers, and 422', () => {
    const checkout = op('post', '/api/orders');
    assert.deepEqual(
      checkout.parameters?.map(({ name, in: where, required }) => ({ name, where, required })),
      [{ name: 'idempotency-key', where: 'header', required: true }],
    );
    assert.deepEqual(checkout.requestBody?.content['application/json']?.schema, { $ref: '#/components/schemas/CheckoutRequest' });
    for (const status of ['200', '201', '202']) {
      assert.deepEqual(checkout.responses[status]?.content?.['application/json']?.schema, { $ref: '#/components/schemas/Order' });
    }
    assert.ok(checkout.responses['422']);
    const request = doc.components.schemas.CheckoutRequest as {
      additionalProperties: boolean;
      properties: { items: { items: { additionalProperties: boolean; properties: Record<string, unknown> } } };
    };
    assert.equal(request.additionalProperties, false);
    assert.equal(request.properties.items.items.additionalProperties, false);
    assert.deepEqual(Object.keys(request.properties.items.items.properties).sort(), ['productId', 'quantity']);
  });

  it('documents the product filters as query parameters, none of them required', () => {
    const params = op('get', '/api/products').parameters ?? [];
    assert.deepEqual(
      params.map((p) => p.name),
      ['category', 'q', 'minPrice', 'maxPrice', 'inStock', 'sort', 'limit', 'offset'],
    );
    assert.ok(params.every((p) => p.in === 'query' && !p.required));
  });

  it('documents the links, QR and analytics routes', () => {
    for (const [method, path] of [
      ['post', '/api/links'],
      ['get', '/api/links'],
      ['delete', '/api/links/{code}'],
      ['get', '/api/links/{code}/stats'],
      ['get', '/api/links/{code}/stats/stream'],
      ['post', '/api/qr'],
      ['post', '/api/qr/batch'],
      ['get', '/api/analytics/usage'],
    ] as const) {
      assert.deepEqual(op(method, path).security, [{ bearerAuth: [] }], `${method} ${path} needs a token`);
    }
    for (const [method, path] of [
      ['get', '/api/analytics/summary'],
      ['get', '/api/analytics/dashboard'],
      ['get', '/api/analytics/users/{userId}/usage'],
    ] as const) {
      assert.ok(op(method, path).responses['403'], `${method} ${path} is for admins`);
    }
    assert.deepEqual(op('post', '/api/links').requestBody?.content['application/json']?.schema, {
      $ref: '#/components/schemas/ShortenRequest',
    });
    assert.deepEqual(op('post', '/api/links').responses['201']?.content?.['application/json']?.schema, {
      $ref: '#/components/schemas/Link',
    });
    assert.ok(op('post', '/api/links').responses['409'], 'a taken alias');
    assert.deepEqual(op('post', '/api/analytics/track').security, [{ bearerAuth: [] }, {}], 'the token is optional');
    assert.ok(op('post', '/api/analytics/track').responses['401'], 'a bad token is still refused');
  });

  it('documents the public redirect: 302 with Location, 404 and 410, and no 400 for odd codes', () => {
    const redirect = op('get', '/s/{code}');
    assert.equal(redirect.security, undefined);
    const found = redirect.responses['302'] as { content?: unknown; headers?: Record<string, unknown> };
    assert.ok(found.headers?.location);
    assert.equal(found.content, undefined);
    for (const status of ['404', '410', '429', '503', '504']) assert.ok(redirect.responses[status], status);
    assert.equal(redirect.responses['400'], undefined);
  });

  it('documents images and event streams with their media types', () => {
    const generate = op('post', '/api/qr').responses['201'] as { content?: Record<string, unknown>; headers?: object };
    assert.deepEqual(Object.keys(generate.content ?? {}), ['image/png', 'image/svg+xml']);
    assert.deepEqual(Object.keys(generate.headers ?? {}).sort(), ['location', 'x-qr-cache', 'x-qr-id']);
    const image = op('get', '/api/qr/{id}');
    assert.equal(image.security, undefined, 'stored codes are public');
    assert.ok(image.responses['304']);
    assert.equal(image.responses['400'], undefined, 'a malformed id is a 404');
    for (const path of ['/api/links/{code}/stats/stream', '/api/qr/batch']) {
      const method = path.endsWith('batch') ? 'post' : 'get';
      assert.deepEqual(Object.keys(op(method, path).responses['200']?.content ?? {}), ['text/event-stream'], path);
    }
    assert.ok(op('post', '/api/qr/batch').responses['400'], 'a batch refused up front');
  });

  it('resolves every $ref within the document', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1] ?? '');
    assert.ok(refs.length > 10);
    for (const name of refs) assert.ok(doc.components.schemas[name], `component ${name} exists`);
    assert.doesNotMatch(JSON.stringify(doc), /"\$schema"|"\$id"/);
  });
});
