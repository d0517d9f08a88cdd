/**
 * The environment each service starts with on each target. Values are literal, read from
 * a Kubernetes Secret (cluster) or generated per run (the local sidecar tokens); the
 * printers turn them into process variables or container env.
 */
import type { ServiceSpec } from '../topology.ts';
import {
  appApiTokenSecret,
  credentialSecrets,
  daprApiTokenSecret,
  forwardedPorts,
  observabilityEndpoints,
  secretPurpose,
  storeHost,
  storePorts,
} from './cluster-target.ts';
import {
  type LocalServicePorts,
  localCredentials,
  localJaegerUrl,
  localOtlpHttpEndpoint,
  loopback,
  mongoUrl,
  postgresUrl,
} from './local-target.ts';
import { byTarget, type Explained, type PerTarget, resolve, same, type Target } from './target.ts';

/**
 * A secret value: the Secret and key it is read from, and the purpose its value is
 * derived from (cdk8s/src/secret-values.ts).
 */
export interface SecretSource {
  name: string;
  key: string;
  purpose: string;
}

export type EnvValue = { value: string } | { secret: SecretSource } | { generated: 'daprApiToken' | 'appApiToken' };

export interface EnvVar {
  name: string;
  source: EnvValue;
}

/**
 * Claims users puts in access tokens. Set explicitly on users (which signs) and the
 * gateway (which verifies) and checked by the ingress RequestAuthentication, so none drift.
 */
export const accessTokenClaims = { issuer: 'meshmart-users', audience: 'meshmart' } as const;

export const adminEmail = localCredentials.admin.email;

/** What each variable the plan sets means to the service reading it (docs/CONTRACTS.md). */
export const envMeanings: Record<string, string> = {
  PORT: "app port (the sidecar's `--app-port`)",
  BIND_HOST: 'address the app listens on',
  ADMIN_PORT: 'plain HTTP for `/healthz`, `/readyz`, `/metrics` of gRPC-only apps',
  DAPR_HTTP_PORT: 'sidecar HTTP API port (default 3500)',
  DAPR_GRPC_PORT: 'sidecar gRPC API port (default 50001)',
  DAPR_API_TOKEN: 'token the app sends to its sidecar (`dapr-api-token`)',
  APP_API_TOKEN: 'token the sidecar sends to the app (`dapr-api-token` header)',
  REQUIRE_DAPR_TOKENS: 'refuse to start without both tokens, and refuse calls without the app token',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'OTLP/HTTP base URL (traces go to `/v1/traces`)',
  OTEL_TRACES_SAMPLER: 'sampler',
  OTEL_TRACES_SAMPLER_ARG: "the sampler's ratio",
  OTEL_RESOURCE_ATTRIBUTES: 'resource attributes of every span',
  OTEL_BSP_SCHEDULE_DELAY: 'milliseconds a finished span waits before export',
  DATABASE_PASSWORD: "password of the service's PostgreSQL role, expanded into `DATABASE_URL`",
  DATABASE_URL: '`postgres://user:pass@host:port/db`',
  MONGO_PASSWORD: "password of the service's MongoDB user, expanded into `MONGO_URL`",
  MONGO_URL: '`mongodb://[user:pass@]host:port/db`',
  JWT_ISSUER: 'issuer of access tokens (users signs, the others verify)',
  JWT_AUDIENCE: 'audience of access tokens',
  ADMIN_EMAIL: 'the admin account users bootstraps',
  ADMIN_PASSWORD_SECRET: 'name of the admin password in the Dapr secret store',
  TRUSTED_PROXY_HOPS: 'proxies in front whose `X-Forwarded-For` entry is trusted (rate limits)',
  JAEGER_QUERY_URL: "Jaeger's query API, for the admin trace view",
  JAEGER_UI_URL: "Jaeger's UI, linked from the admin trace view",
  ASSETS_DIR: 'the static build of the browser app',
  NODE_OPTIONS: "Node's runtime flags: the young generation's size (docs/performance.md, idle memory)",
  MALLOC_MMAP_THRESHOLD_: "glibc's fixed size from which an allocation gets its own mapping, returned when freed",
};

/**
 * V8 grows each young-generation semi-space to 16 MiB while a service starts, when most
 * of what it allocates survives, and keeps both: about 18 MiB of every idle process.
 * What a request allocates rarely outlives it, so 2 MiB semi-spaces mostly mean more
 * frequent, equally cheap scavenges; their CPU per request is in docs/performance.md.
 */
export const nodeOptions = '--max-semi-space-size=2';

/**
 * argon2 hashes in a 19 MiB block on a libuv thread. glibc serves the first from its own
 * mapping, then raises its mmap threshold past that size, so later blocks come from the
 * thread's arena and stay resident after the hash: 19 MiB per pool thread that ever
 * hashed. A fixed threshold (which also stops the raising) hands each block back.
 */
export const hashingMmapThreshold = String(1024 * 1024);

const literal = (value: string): EnvValue => ({ value });
const fromSecret = (name: string, key: string, purpose: string): EnvValue => ({ secret: { name, key, purpose } });

const address = (why: string): Explained => ({ reason: 'address', why });
const secret = (why: string): Explained => ({ reason: 'secret', why });

function common(spec: ServiceSpec, local: LocalServicePorts): Record<string, PerTarget<EnvValue>> {
  return {
    PORT: byTarget(address('a port of the service block on one machine'), literal(String(local.app)), literal(String(spec.port))),
    BIND_HOST: byTarget(
      address('one machine shared with other programs: listen on loopback; a pod listens for its Envoy'),
      literal(loopback),
      undefined,
    ),
    ...(spec.adminPort === undefined
      ? {}
      : {
          ADMIN_PORT: byTarget(
            address('a port of the service block'),
            literal(String(local.admin)),
            literal(String(spec.adminPort)),
          ),
        }),
    DAPR_HTTP_PORT: byTarget(
      address("each sidecar has its own ports on one machine; the injected daprd listens on Dapr's defaults"),
      literal(String(local.daprHttp)),
      undefined,
    ),
    DAPR_GRPC_PORT: byTarget(
      address("each sidecar has its own ports on one machine; the injected daprd listens on Dapr's defaults"),
      literal(String(local.daprGrpc)),
      undefined,
    ),
    DAPR_API_TOKEN: byTarget(
      secret('made fresh for each run; a Secret the Dapr injector reads too'),
      { generated: 'daprApiToken' },
      fromSecret(daprApiTokenSecret(spec.name), 'token', secretPurpose.daprApiToken(spec.name)),
    ),
    APP_API_TOKEN: byTarget(
      secret('made fresh for each run; a Secret the Dapr injector reads too'),
      { generated: 'appApiToken' },
      fromSecret(appApiTokenSecret(spec.name), 'token', secretPurpose.appApiToken(spec.name)),
    ),
    REQUIRE_DAPR_TOKENS: same(literal('true')),
    NODE_OPTIONS: same(literal(nodeOptions)),
    OTEL_EXPORTER_OTLP_ENDPOINT: byTarget(
      address("Jaeger's OTLP port on loopback; the collector in the observability namespace"),
      literal(localOtlpHttpEndpoint),
      literal(observabilityEndpoints.otlpHttp),
    ),
    // Requests arrive sampled or not and are followed; the ratio applies to traces an app
    // starts itself (outbox relay, saga recovery).
    OTEL_TRACES_SAMPLER: same(literal('parentbased_traceidratio')),
    OTEL_TRACES_SAMPLER_ARG: same(literal('1')),
    OTEL_RESOURCE_ATTRIBUTES: byTarget(
      { reason: 'observation', why: 'traces name the target they come from' },
      literal('deployment.environment.name=local,service.namespace=meshmart'),
      literal('deployment.environment.name=cluster,service.namespace=meshmart'),
    ),
    // Spans reach Jaeger half a second after they end instead of the standard five, so a
    // trace can be looked at (and tested) right after the request.
    OTEL_BSP_SCHEDULE_DELAY: byTarget(
      { reason: 'observation', why: 'tests read a trace right after the request; the cluster batches as usual' },
      literal('500'),
      undefined,
    ),
    ...databases(spec),
  };
}

const databaseWhy = secret('fixed development credentials inline; a password from the Secret the database role was made with');

/**
 * A database URL, and in the cluster the password it expands: Kubernetes expands
 * $(<NAME>_PASSWORD) because it is declared before the URL.
 */
function database(
  prefix: 'DATABASE' | 'MONGO',
  password: SecretSource,
  localUrl: string,
  clusterUrl: (passwordRef: string) => string,
): Record<string, PerTarget<EnvValue>> {
  return {
    [`${prefix}_PASSWORD`]: byTarget(databaseWhy, undefined, { secret: password }),
    [`${prefix}_URL`]: byTarget(databaseWhy, literal(localUrl), literal(clusterUrl(`$(${prefix}_PASSWORD)`))),
  };
}

function databases(spec: ServiceSpec): Record<string, PerTarget<EnvValue>> {
  const pg = spec.postgresDatabase;
  const mongo = spec.mongoDatabase;
  return {
    ...(pg
      ? database(
          'DATABASE',
          { name: credentialSecrets.appPostgres(spec.name), key: 'password', purpose: secretPurpose.postgresRole(pg) },
          postgresUrl(pg),
          (password) => `postgres://${pg}:${password}@${storeHost('postgres')}:${storePorts.postgres}/${pg}`,
        )
      : {}),
    ...(mongo
      ? database(
          'MONGO',
          { name: credentialSecrets.appMongo(spec.name), key: 'password', purpose: secretPurpose.mongoUser(mongo) },
          mongoUrl(mongo),
          (password) => `mongodb://${mongo}:${password}@${storeHost('mongo')}:${storePorts.mongo}/${mongo}?authSource=${mongo}`,
        )
      : {}),
  };
}

const claims = {
  JWT_ISSUER: same(literal(accessTokenClaims.issuer)),
  JWT_AUDIENCE: same(literal(accessTokenClaims.audience)),
};

/** Settings only some services read. */
function own(spec: ServiceSpec): Record<string, PerTarget<EnvValue>> {
  switch (spec.name) {
    case 'users':
      return {
        ...claims,
        ADMIN_EMAIL: same(literal(adminEmail)),
        // The admin password never sits in the environment: users reads it through its
        // Dapr secret store, under the same name on both targets (storedSecrets below).
        ADMIN_PASSWORD_SECRET: same(literal(adminPasswordSecret.name)),
        MALLOC_MMAP_THRESHOLD_: same(literal(hashingMmapThreshold)),
      };
    case 'gateway':
      return {
        ...claims,
        // The Istio ingress gateway is the one proxy in front: trust its X-Forwarded-For
        // entry, or every client would share the ingress's address in the rate limiter.
        TRUSTED_PROXY_HOPS: byTarget(
          { reason: 'mesh', why: 'clients reach the gateway directly locally; through the ingress gateway in the cluster' },
          undefined,
          literal('1'),
        ),
        // The admin trace view reads Jaeger's query API and links to Jaeger's UI.
        JAEGER_QUERY_URL: byTarget(
          address("the local Jaeger; the cluster's, by service name"),
          literal(localJaegerUrl),
          literal(observabilityEndpoints.jaegerUi),
        ),
        JAEGER_UI_URL: byTarget(
          address('the query address is the UI locally; in the cluster the UI is where skaffold forwards it'),
          undefined,
          literal(`http://localhost:${forwardedPorts.jaeger}`),
        ),
      };
    case 'web':
      return {
        ASSETS_DIR: byTarget(
          { reason: 'storage', why: 'the build next to the sources locally; where the Dockerfile puts it in the image' },
          undefined,
          literal('/app/public'),
        ),
      };
    default:
      return {};
  }
}

/** The admin password users bootstraps with, as its secret store serves it. */
export const adminPasswordSecret: SecretSource = {
  name: credentialSecrets.own('users'),
  key: 'ADMIN_PASSWORD',
  purpose: secretPurpose.usersAdminPassword,
};

/** A secret the service's Dapr secret store must serve, by the name the service asks for. */
export interface StoredSecret {
  name: string;
  source: EnvValue;
}

/**
 * Secrets a service reads through its `secretstore` component: a value in the local
 * store's file, a key of the named Kubernetes Secret (which the component may read).
 */
export function storedSecretsPlan(
  spec: ServiceSpec,
  target: Target,
): { secrets: StoredSecret[]; explained: Record<string, Explained> } {
  if (spec.name !== 'users' || !spec.components.includes('secretstore')) return { secrets: [], explained: {} };
  const { values, explained } = resolve(
    {
      [adminPasswordSecret.name]: byTarget<EnvValue>(
        secret('the development password in the committed secrets file; a derived password in the Secret'),
        literal(localCredentials.admin.password),
        { secret: adminPasswordSecret },
      ),
    },
    target,
  );
  return { secrets: values.map(([name, source]) => ({ name, source })), explained };
}

export function environmentPlan(
  spec: ServiceSpec,
  local: LocalServicePorts,
  target: Target,
): { env: EnvVar[]; explained: Record<string, Explained> } {
  const { values, explained } = resolve({ ...common(spec, local), ...own(spec) }, target);
  return { env: values.map(([name, source]) => ({ name, source })), explained };
}
