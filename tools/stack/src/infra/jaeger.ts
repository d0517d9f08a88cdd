import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { localJaegerUrl } from '@meshmart/kit/deployment/local-target';
import { infraDir, toolsBin } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import { isHttpOk } from '../readiness.ts';
import type { InfraComponent } from './component.ts';

export const jaegerUrl = localJaegerUrl;

const at = (port: number) => `127.0.0.1:${port}`;

/**
 * Jaeger v2 is an OpenTelemetry Collector build: OTLP in, in-memory storage, the query
 * API (the v1 HTTP API the tests read included) out, as in the cluster. Every listener
 * is on loopback and off the defaults, so a system Jaeger or Collector keeps its ports;
 * its own metrics server (8888) is off. JSON is YAML, which the collector reads.
 */
function config(): string {
  return JSON.stringify(
    {
      service: {
        extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
        },
        telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
      },
      extensions: {
        jaeger_query: {
          storage: { traces: 'memstore' },
          http: { endpoint: at(infraPorts.jaegerUi) },
          grpc: { endpoint: at(infraPorts.jaegerQueryGrpc) },
        },
        jaeger_storage: { backends: { memstore: { memory: { max_traces: 50_000 } } } },
        healthcheckv2: { use_v2: true, http: { endpoint: at(infraPorts.jaegerHealth) } },
      },
      receivers: {
        otlp: {
          protocols: { grpc: { endpoint: at(infraPorts.jaegerOtlpGrpc) }, http: { endpoint: at(infraPorts.jaegerOtlpHttp) } },
        },
      },
      processors: { batch: {} },
      exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    },
    null,
    2,
  );
}

export const jaeger: InfraComponent = {
  name: 'jaeger',
  port: infraPorts.jaegerUi,
  ready: () => isHttpOk(`${jaegerUrl}/api/services`),
  async start() {
    const binary = path.join(toolsBin, 'jaeger-v2');
    if (!existsSync(binary)) throw new Error(`${binary} is missing; run npm run setup`);
    const dir = infraDir('jaeger');
    mkdirSync(dir, { recursive: true });
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, config());
    const env = {
      ...process.env,
      // Jaeger traces itself by default; keep its own spans out of the services' traces.
      OTEL_TRACES_SAMPLER: 'always_off',
    };
    return [
      startChild({ name: 'jaeger', command: binary, args: [`--config=${configFile}`], env, output: 'file', outlive: true }),
    ];
  },
};
