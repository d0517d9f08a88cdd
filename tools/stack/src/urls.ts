import type { ServiceName } from '@meshmart/kit/topology';
import { jaegerUrl } from './infra/jaeger.ts';
import { prometheusUrl } from './infra/prometheus.ts';
import { probePort, servicePorts } from './ports.ts';

const http = (port: number) => `http://127.0.0.1:${port}`;

export interface ServiceUrls {
  /** The app port: HTTP apps' API, gRPC apps' gRPC endpoint. */
  app: string;
  /** /healthz, /readyz and /metrics. */
  probe: string;
  /** The sidecar's HTTP API. */
  dapr: string;
}

export interface StackUrls {
  gateway: string;
  openapi: string;
  jaeger: string;
  prometheus: string;
  services: Partial<Record<ServiceName, ServiceUrls>>;
}

export function stackUrls(services: ServiceName[]): StackUrls {
  const gateway = http(servicePorts('gateway').app);
  return {
    gateway,
    openapi: `${gateway}/api/openapi.json`,
    jaeger: jaegerUrl,
    prometheus: prometheusUrl,
    services: Object.fromEntries(
      services.map((name) => [
        name,
        { app: http(servicePorts(name).app), probe: http(probePort(name)), dapr: http(servicePorts(name).daprHttp) },
      ]),
    ),
  };
}
