/** The daprd command line for one service, checked against `daprd --help` of Dapr 1.17. */
import path from 'node:path';
import type { ServiceName, ServiceSpec } from '@meshmart/kit/topology';
import { localServicePlan } from './local-plan.ts';
import { paths, repoRoot, toolsBin } from './paths.ts';

export const daprdBinary = path.join(toolsBin, 'daprd');

export interface Tokens {
  /** Sent by apps to their sidecar (`dapr-api-token`). */
  daprApiToken: string;
  /** Sent by sidecars to their app (`dapr-api-token`). */
  appApiToken: string;
}

/** The local plan's sidecar settings as daprd flags; every API and listener on loopback. */
export function daprdArgs(name: ServiceName, topology?: readonly ServiceSpec[]): string[] {
  const { sidecar } = localServicePlan(name, topology);
  if (!sidecar.apiPorts) throw new Error(`the local plan gives ${name}'s sidecar no API ports`);
  const loopback = '127.0.0.1';
  return [
    '--app-id',
    sidecar.appId,
    '--app-port',
    String(sidecar.appPort),
    '--app-protocol',
    sidecar.appProtocol,
    '--app-channel-address',
    loopback,
    '--dapr-listen-addresses',
    loopback,
    '--dapr-http-port',
    String(sidecar.apiPorts.http),
    '--dapr-grpc-port',
    String(sidecar.apiPorts.grpc),
    '--dapr-internal-grpc-port',
    String(sidecar.apiPorts.internalGrpc),
    '--dapr-internal-grpc-listen-address',
    loopback,
    '--metrics-port',
    String(sidecar.metricsPort),
    '--metrics-listen-address',
    loopback,
    '--resources-path',
    paths.daprComponents,
    '--config',
    paths.daprConfig,
    ...(sidecar.logAsJson ? ['--log-as-json'] : []),
    ...(sidecar.appHealthCheck
      ? [
          '--enable-app-health-check',
          ...['--app-health-check-path', sidecar.appHealthCheck.path],
          ...['--app-health-probe-interval', String(sidecar.appHealthCheck.intervalSeconds)],
          ...['--app-health-probe-timeout', String(sidecar.appHealthCheck.timeoutMs)],
          ...['--app-health-threshold', String(sidecar.appHealthCheck.threshold)],
        ]
      : []),
  ];
}

export function daprdEnv(name: ServiceName, tokens: Tokens, topology?: readonly ServiceSpec[]): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...localServicePlan(name, topology).sidecar.env,
    DAPR_API_TOKEN: tokens.daprApiToken,
    APP_API_TOKEN: tokens.appApiToken,
    // The address each sidecar registers in the SQLite name resolver.
    DAPR_HOST_IP: '127.0.0.1',
  };
}

export const daprdCwd = repoRoot;
