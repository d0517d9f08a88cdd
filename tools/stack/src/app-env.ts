/** The environment a service starts with, as docs/CONTRACTS.md lists it. */
import { type ServiceName, service } from '@meshmart/kit/topology';
import { localCredentials } from './credentials.ts';
import { mongoUrl } from './infra/ferretdb.ts';
import { jaegerUrl } from './infra/jaeger.ts';
import { postgresUrl } from './infra/postgres.ts';
import { infraPorts, servicePorts } from './ports.ts';
import type { Tokens } from './sidecar.ts';

export const otlpHttpEndpoint = `http://127.0.0.1:${infraPorts.jaegerOtlpHttp}`;

/** Variables that differ per service; tokens excluded, as dapr.yaml carries none. */
export function serviceVariables(name: ServiceName): Record<string, string> {
  const spec = service(name);
  const ports = servicePorts(name);
  return {
    PORT: String(ports.app),
    BIND_HOST: '127.0.0.1',
    ...(ports.admin === undefined ? {} : { ADMIN_PORT: String(ports.admin) }),
    DAPR_HTTP_PORT: String(ports.daprHttp),
    DAPR_GRPC_PORT: String(ports.daprGrpc),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpHttpEndpoint,
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=local,service.namespace=meshmart',
    // Spans reach Jaeger half a second after they end instead of the standard five, so a
    // trace can be looked at (and tested) right after the request.
    OTEL_BSP_SCHEDULE_DELAY: '500',
    ...(spec.postgresDatabase ? { DATABASE_URL: postgresUrl(spec.postgresDatabase) } : {}),
    ...(name === 'users'
      ? { ADMIN_EMAIL: localCredentials.admin.email, ADMIN_PASSWORD_SECRET: localCredentials.admin.secret }
      : {}),
    ...(spec.mongoDatabase ? { MONGO_URL: mongoUrl(spec.mongoDatabase) } : {}),
    // The admin trace view reads the local Jaeger's query API.
    ...(name === 'gateway' ? { JAEGER_QUERY_URL: jaegerUrl } : {}),
  };
}

export function serviceEnv(name: ServiceName, tokens: Tokens): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...serviceVariables(name),
    DAPR_API_TOKEN: tokens.daprApiToken,
    APP_API_TOKEN: tokens.appApiToken,
    REQUIRE_DAPR_TOKENS: 'true',
  };
}
