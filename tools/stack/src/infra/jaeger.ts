import { existsSync } from 'node:fs';
import path from 'node:path';
import { toolsBin } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import { isHttpOk } from '../readiness.ts';
import type { InfraComponent } from './component.ts';

export const jaegerUrl = `http://127.0.0.1:${infraPorts.jaegerUi}`;

const at = (port: number) => `127.0.0.1:${port}`;

export const jaeger: InfraComponent = {
  name: 'jaeger',
  port: infraPorts.jaegerUi,
  ready: () => isHttpOk(`${jaegerUrl}/api/services`),
  async start() {
    const binary = path.join(toolsBin, 'jaeger');
    if (!existsSync(binary)) throw new Error(`${binary} is missing; run npm run setup`);
    // Every listener on loopback and off Jaeger's defaults, so a system Jaeger or
    // OpenTelemetry Collector keeps its ports.
    const args = [
      `--query.http-server.host-port=${at(infraPorts.jaegerUi)}`,
      `--query.grpc-server.host-port=${at(infraPorts.jaegerQueryGrpc)}`,
      `--admin.http.host-port=${at(infraPorts.jaegerAdmin)}`,
      `--collector.http-server.host-port=${at(infraPorts.jaegerCollectorHttp)}`,
      `--collector.grpc-server.host-port=${at(infraPorts.jaegerCollectorGrpc)}`,
      `--collector.otlp.grpc.host-port=${at(infraPorts.jaegerOtlpGrpc)}`,
      `--collector.otlp.http.host-port=${at(infraPorts.jaegerOtlpHttp)}`,
      `--processor.jaeger-compact.server-host-port=${at(infraPorts.jaegerAgentCompact)}`,
      `--processor.jaeger-binary.server-host-port=${at(infraPorts.jaegerAgentBinary)}`,
      `--processor.zipkin-compact.server-host-port=${at(infraPorts.jaegerAgentZipkin)}`,
      `--http-server.host-port=${at(infraPorts.jaegerAgentHttp)}`,
      '--memory.max-traces=50000',
    ];
    const env = {
      ...process.env,
      SPAN_STORAGE_TYPE: 'memory',
      COLLECTOR_OTLP_ENABLED: 'true',
      // Jaeger traces itself by default; keep its own spans out of the services' traces.
      OTEL_TRACES_SAMPLER: 'always_off',
    };
    return [startChild({ name: 'jaeger', command: binary, args, env, output: 'file', outlive: true })];
  },
};
