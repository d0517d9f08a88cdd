/** The daprd command line for one service, checked against `daprd --help` of Dapr 1.17. */
import path from 'node:path';
import { type ServiceName, service } from '@meshmart/kit/topology';
import { paths, repoRoot, toolsBin } from './paths.ts';
import { servicePorts } from './ports.ts';

export const daprdBinary = path.join(toolsBin, 'daprd');

export interface Tokens {
  /** Sent by apps to their sidecar (`dapr-api-token`). */
  daprApiToken: string;
  /** Sent by sidecars to their app (`dapr-api-token`). */
  appApiToken: string;
}

export function daprdArgs(name: ServiceName): string[] {
  const spec = service(name);
  const ports = servicePorts(name);
  const args = [
    '--app-id',
    name,
    '--app-port',
    String(ports.app),
    '--app-protocol',
    spec.appProtocol,
    '--app-channel-address',
    '127.0.0.1',
    '--dapr-listen-addresses',
    '127.0.0.1',
    '--dapr-http-port',
    String(ports.daprHttp),
    '--dapr-grpc-port',
    String(ports.daprGrpc),
    '--dapr-internal-grpc-port',
    String(ports.daprInternalGrpc),
    '--dapr-internal-grpc-listen-address',
    '127.0.0.1',
    '--metrics-port',
    String(ports.daprMetrics),
    '--metrics-listen-address',
    '127.0.0.1',
    '--resources-path',
    paths.daprComponents,
    '--config',
    paths.daprConfig,
    '--log-as-json',
  ];
  // Dapr probes gRPC apps through its own callback health API, which our gRPC apps do
  // not implement; their health lives on the admin port instead.
  if (spec.appProtocol === 'http') args.push('--enable-app-health-check', '--app-health-check-path', '/healthz');
  return args;
}

export function daprdEnv(tokens: Tokens): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DAPR_API_TOKEN: tokens.daprApiToken,
    APP_API_TOKEN: tokens.appApiToken,
    // The address each sidecar registers in the SQLite name resolver.
    DAPR_HOST_IP: '127.0.0.1',
  };
}

export const daprdCwd = repoRoot;
