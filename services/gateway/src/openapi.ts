/**
 * OpenAPI 3.1 from the route table. JSON Schema comes from the zod schemas the gateway
 * validates with (OpenAPI 3.1 uses JSON Schema 2020-12, zod's default target).
 */
import { z } from 'zod';
import { type GatewayRoute, namedRequestSchemas, namedResponseSchemas } from './routes.ts';

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON, wrong types or unknown fields (field errors in `errors`)',
  401: 'Missing, malformed, tampered or expired credentials',
  403: 'The token lacks the role this route requires',
  404: 'Not found',
  409: 'Conflicts with existing data or with the state the resource is in',
  410: 'Gone: it existed, but has expired or been deleted',
  413: 'Body larger than the limit',
  415: 'Body is not JSON',
  422: 'Well-formed, but names something that does not exist or reuses an Idempotency-Key with a different body',
  429: 'Rate limit reached; see Retry-After',
  503: 'A dependency (Dapr sidecar, the service behind the route, key set) is unavailable; see Retry-After',
  504: 'A dependency did not answer in time',
};

/** Components from a named set of schemas; refs between them point into components. */
function components(named: Record<string, z.ZodType>, io: Io): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, stripMeta(schema)]));
}

function stripMeta(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function schemaFor(schema: z.ZodType, named: Map<z.ZodType, string>, io: Io): JsonSchema {
  const id = named.get(schema);
  return id ? { $ref: `#/components/schemas/${id}` } : stripMeta(z.toJSONSchema(schema, { io }) as JsonSchema);
}

function parameters(route: GatewayRoute): JsonSchema[] {
  const fromShape = (object: z.ZodObject | undefined, location: 'path' | 'query' | 'header') =>
    Object.entries(object?.shape ?? {}).map(([name, field]) => {
      const { description, ...schema } = stripMeta(z.toJSONSchema(field as z.ZodType, { io: 'input' }) as JsonSchema);
      return {
        name,
        in: location,
        required: location === 'path' || !(field as z.ZodType).safeParse(undefined).success,
        ...(description !== undefined && { description }),
        schema,
      };
    });
  return [...fromShape(route.params, 'path'), ...fromShape(route.query, 'query'), ...fromShape(route.headers, 'header')];
}

/** Problem statuses a route can answer, from what it declares and how it is guarded. */
export function errorStatuses(route: GatewayRoute): number[] {
  const statuses = new Set(route.errors);
  if (route.body || (route.params && !route.notFoundOnBadParams) || route.query || route.headers) statuses.add(400);
  if (route.notFoundOnBadParams) statuses.add(404);
  if (route.body) {
    statuses.add(413);
    statuses.add(415);
  }
  if (route.access !== 'public') statuses.add(401);
  if (route.access === 'admin') statuses.add(403);
  if (route.limit) statuses.add(429);
  const upstream = ['service', 'links', 'qr', 'recommendations'].includes(route.target.kind);
  if (upstream || route.access !== 'public') statuses.add(503);
  if (upstream) statuses.add(504);
  return [...statuses].sort((a, b) => a - b);
}

function operation(route: GatewayRoute, requestIds: Map<z.ZodType, string>, responseIds: Map<z.ZodType, string>) {
  const { success } = route;
  const contentTypes = [success.contentType ?? 'application/json'].flat();
  const media = success.schema ? { schema: schemaFor(success.schema, responseIds, 'output') } : {};
  const content = Object.fromEntries(contentTypes.map((type) => [type, media]));
  const headers = success.headers && {
    headers: Object.fromEntries(
      Object.entries(success.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
    ),
  };
  const responses: Record<string, unknown> = {};
  for (const { status, description } of [success, ...(success.alternatives ?? [])]) {
    const bodyless = status === 204 || status === 304 || (status >= 300 && status < 400 && !success.schema);
    responses[status] = { description, ...(!bodyless && { content }), ...(status === success.status && headers) };
  }
  for (const status of errorStatuses(route)) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/problem+json': { schema: PROBLEM_REF } },
    };
  }
  const params = parameters(route);
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.tag],
    ...(route.access === 'optional' && { security: [{ bearerAuth: [] }, {}] }),
    ...(route.access !== 'public' && route.access !== 'optional' && { security: [{ bearerAuth: [] }] }),
    ...(params.length > 0 && { parameters: params }),
    ...(route.body && {
      requestBody: { required: true, content: { 'application/json': { schema: schemaFor(route.body, requestIds, 'input') } } },
    }),
    responses,
  };
}

/** `GET /api/users/me/addresses/:id` → `getApiUsersMeAddressesById`. */
function operationId(route: GatewayRoute): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [route.method.toLowerCase(), ...words.map((w) => w[0]?.toUpperCase() + w.slice(1))].join('');
}

export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:(\w+)/g, '{$1}');
}

export function buildOpenApi(table: readonly GatewayRoute[], version: string): Record<string, unknown> {
  const invert = (named: Record<string, z.ZodType>) => new Map(Object.entries(named).map(([id, s]) => [s, id]));
  const requestIds = invert(namedRequestSchemas);
  const responseIds = invert(namedResponseSchemas);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, requestIds, responseIds);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'meshmart gateway',
      version,
      description:
        'The single entry to meshmart. Errors are RFC 9457 problem details. Access tokens come from ' +
        '`POST /api/auth/login` and are sent as `Authorization: Bearer <token>`.',
    },
    tags: [...new Set(table.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...components(namedRequestSchemas, 'input'), ...components(namedResponseSchemas, 'output') },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
