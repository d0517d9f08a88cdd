/**
 * dapr.yaml, the Dapr CLI's multi-app run file, for people who prefer `dapr run -f .`
 * (after `npm run stack -- infra`) to the stack runner. Same ports, same components.
 */
import { services } from '@meshmart/kit/topology';
import { stringify } from 'yaml';
import { serviceVariables } from './app-env.ts';
import { servicePorts } from './ports.ts';
import { runnableServices } from './stack.ts';

export function runFile(): Record<string, unknown> {
  return {
    version: 1,
    common: {
      resourcesPaths: ['./dapr/components'],
      configFilePath: './dapr/config.yaml',
      appLogDestination: 'console',
      daprdLogDestination: 'console',
      // The CLI passes this env to the apps only, never to daprd, so sidecar tokens
      // cannot be configured here; the stack runner is what exercises them.
      env: { REQUIRE_DAPR_TOKENS: 'false' },
    },
    // Only services whose code exists: the CLI fails the whole run on a missing command.
    apps: services
      .filter((s) => runnableServices().includes(s.name))
      .map((s) => {
        const ports = servicePorts(s.name);
        return {
          appID: s.name,
          // Every app runs from the repository root, so the relative paths in dapr/ hold.
          appDirPath: './',
          appPort: ports.app,
          appProtocol: s.appProtocol,
          daprHTTPPort: ports.daprHttp,
          daprGRPCPort: ports.daprGrpc,
          daprInternalGRPCPort: ports.daprInternalGrpc,
          metricsPort: ports.daprMetrics,
          ...(s.appProtocol === 'http' ? { enableAppHealthCheck: true, appHealthCheckPath: '/healthz' } : {}),
          command: ['node', '--import', 'tsx', `services/${s.name}/src/main.ts`],
          env: serviceVariables(s.name),
        };
      }),
  };
}

export function renderRunFile(): string {
  return `# Generated from services/kit/src/topology.ts by \`npm run stack -- write-dapr-files\`; do not edit.\n# Start the infrastructure first: npm run stack -- infra\n${stringify(runFile())}`;
}
