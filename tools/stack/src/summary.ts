/** The table `stack up` prints once everything is ready. */
import type { ServiceName } from '@meshmart/kit/topology';
import { bold, dim } from './console.ts';
import { infraPorts, servicePorts } from './ports.ts';
import { infraUrls } from './test-infra.ts';
import type { StackUrls } from './urls.ts';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd()).join('\n');
}

export function infraSummary(): string {
  return [
    bold('Infrastructure'),
    table([
      ['PostgreSQL', infraUrls.postgres('<database>')],
      ['MongoDB API (FerretDB)', infraUrls.mongo('<database>')],
      ['Redis', infraUrls.redis],
      ['RabbitMQ', infraUrls.rabbitmq],
      ['Jaeger UI and query API', infraUrls.jaeger],
      ['OTLP (gRPC, HTTP)', `127.0.0.1:${infraPorts.jaegerOtlpGrpc}, ${infraUrls.otlpHttp}`],
      ['Prometheus', infraUrls.prometheus],
    ]),
  ].join('\n');
}

export function stackSummary(urls: StackUrls, services: ServiceName[]): string {
  const rows = [['service', 'app', 'admin', 'dapr http', 'dapr grpc', 'internal', 'metrics']];
  for (const name of services) {
    const p = servicePorts(name);
    rows.push([name, p.app, p.admin ?? '-', p.daprHttp, p.daprGrpc, p.daprInternalGrpc, p.daprMetrics].map(String));
  }
  return [
    '',
    bold('meshmart is up'),
    table([
      ['Open in a browser', `${urls.gateway}/`],
      ['Gateway (REST API)', `${urls.gateway}/api`],
      ['OpenAPI', urls.openapi],
      ['Jaeger', urls.jaeger],
      ['Prometheus', urls.prometheus],
    ]),
    '',
    table(rows),
    '',
    infraSummary(),
    '',
    dim('Logs: .data/logs/   Stop: Ctrl-C (or npm run stack -- down from another terminal)'),
    '',
  ].join('\n');
}
