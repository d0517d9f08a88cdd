/**
 * dapr.yaml, the Dapr CLI's multi-app run file, for people who prefer `dapr run -f .`
 * (after `npm run stack -- infra`) to the stack runner. Same ports, same components,
 * and the same guarantees: every sidecar API on loopback, API and app tokens on both
 * sides (tools/dapr-run/), and no actor placement or scheduler, which meshmart does not
 * use and which only `dapr init` would start.
 */
import { services } from '@meshmart/kit/topology';
import { stringify } from 'yaml';
import { serviceVariables } from './app-env.ts';
import { runFileLaunch } from './app-launch.ts';
import { localServicePlan } from './local-plan.ts';
import { runnableServices } from './stack.ts';

/** Starts each app with its sidecar's tokens. */
export const tokenWrapper = 'tools/dapr-run/with-tokens';
/** Where the CLI finds daprd as `.dapr/bin/daprd`: a link to tools/dapr-run/daprd made by setup. */
export const daprCliRuntime = './.tools/dapr-cli';

export function runFile(): Record<string, unknown> {
  return {
    version: 1,
    common: {
      resourcesPaths: ['./dapr/components'],
      configFilePath: './dapr/config.yaml',
      appLogDestination: 'console',
      daprdLogDestination: 'console',
      // daprd's info lines would bury the apps' own; warnings and errors still show.
      logLevel: 'warn',
      // The HTTP and gRPC APIs; tools/dapr-run/daprd adds internal gRPC and metrics.
      apiListenAddresses: '127.0.0.1',
      // daprd from .tools/dapr-cli/.dapr/bin: tools/dapr-run/daprd, which adds the tokens.
      runtimePath: daprCliRuntime,
      placementHostAddress: '',
      // The CLI turns an empty scheduler address into localhost:50006; a blank one is
      // trimmed after that, so no --scheduler-host-address reaches daprd at all.
      schedulerHostAddress: ' ',
    },
    // Only services whose code exists: the CLI fails the whole run on a missing command.
    apps: services
      .filter((s) => runnableServices().includes(s.name))
      .map((s) => {
        const { sidecar } = localServicePlan(s.name);
        if (!sidecar.apiPorts) throw new Error(`the local plan gives ${s.name}'s sidecar no API ports`);
        return {
          appID: sidecar.appId,
          // Every app runs from the repository root, so the relative paths in dapr/ hold.
          appDirPath: './',
          appPort: sidecar.appPort,
          appProtocol: sidecar.appProtocol,
          daprHTTPPort: sidecar.apiPorts.http,
          daprGRPCPort: sidecar.apiPorts.grpc,
          daprInternalGRPCPort: sidecar.apiPorts.internalGrpc,
          metricsPort: sidecar.metricsPort,
          ...(sidecar.appHealthCheck
            ? {
                enableAppHealthCheck: true,
                appHealthCheckPath: sidecar.appHealthCheck.path,
                appHealthProbeInterval: sidecar.appHealthCheck.intervalSeconds,
                appHealthProbeTimeout: sidecar.appHealthCheck.timeoutMs,
                appHealthThreshold: sidecar.appHealthCheck.threshold,
              }
            : {}),
          command: [tokenWrapper, ...runFileLaunch(s.name)],
          env: serviceVariables(s.name),
        };
      }),
  };
}

export function renderRunFile(): string {
  const header = [
    '# Generated from services/kit/src/topology.ts by `npm run stack -- write-dapr-files`; do not edit.',
    '# Start the infrastructure first: npm run stack -- infra',
    '# Sidecars listen on loopback only and require tokens: .data/dapr-run/tokens.env, made on first',
    '# start, unless DAPR_API_TOKEN and APP_API_TOKEN are exported. No actor placement or scheduler:',
    '# the blank schedulerHostAddress is deliberate (tools/stack/src/run-file.ts says why).',
  ];
  return `${header.join('\n')}\n${stringify(runFile())}`;
}

interface RunFileEntry {
  appID?: string;
  apiListenAddresses?: string;
  runtimePath?: string;
  command?: string[];
  env?: Record<string, string>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[?::1\]?)$/;

/**
 * What in a run file would expose a sidecar: an API beyond loopback, a daprd started
 * without tools/dapr-run/daprd (which adds the tokens and the loopback listeners the CLI
 * cannot set), or an app started without its tokens. Empty when nothing would.
 */
export function sidecarExposures(file: { common?: RunFileEntry; apps: RunFileEntry[] }): string[] {
  const common = file.common ?? {};
  return file.apps.flatMap((app) => {
    const id = app.appID ?? '(no appID)';
    const problems: string[] = [];
    const listen = app.apiListenAddresses ?? common.apiListenAddresses;
    if (!listen) problems.push(`${id}: no apiListenAddresses, so the HTTP and gRPC APIs listen on every interface`);
    for (const address of (listen ?? '').split(',').filter((a) => a.trim() !== '')) {
      if (!LOOPBACK.test(address.trim())) problems.push(`${id}: an API listens on ${address.trim()}, beyond loopback`);
    }
    if ((app.runtimePath ?? common.runtimePath) !== daprCliRuntime) {
      problems.push(
        `${id}: daprd does not start through tools/dapr-run/daprd, so it has no API token and its internal gRPC and metrics listen on every interface`,
      );
    }
    if (app.command?.[0] !== tokenWrapper) problems.push(`${id}: the app starts without its sidecar's tokens`);
    if ({ ...common.env, ...app.env }.REQUIRE_DAPR_TOKENS === 'false') {
      problems.push(`${id}: the app accepts calls without the app token`);
    }
    return problems;
  });
}
