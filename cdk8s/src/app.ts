/**
 * Assembles the charts. One YAML file per chart, numbered so that `kubectl apply` (and
 * skaffold, which reads them in name order) creates namespaces and Dapr components
 * before the pods that need them.
 */
import { App, Chart, YamlOutputType } from 'cdk8s';
import { serviceWorkload } from './apps/service-workload.ts';
import type { SynthContext } from './context.ts';
import { daprComponents } from './dapr/components.ts';
import { daprConfiguration } from './dapr/configuration.ts';
import { daprResiliency } from './dapr/resiliency.ts';
import { dataStores } from './data/data-chart.ts';
import { loadJob } from './load/load-job.ts';
import { authorizationPolicies, peerAuthentication } from './mesh/authorization.ts';
import { ingress } from './mesh/ingress.ts';
import { destinationRules, invocationRoutes } from './mesh/traffic.ts';
import { ownNamespaces } from './namespaces.ts';
import { observability } from './observability/observability-chart.ts';
import { namespaces } from './settings.ts';

export function buildApp(ctx: SynthContext, outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });

  ownNamespaces(new Chart(app, '00-namespaces'));
  dataStores(new Chart(app, '10-data'), ctx);
  observability(new Chart(app, '20-observability'), ctx);

  const dapr = new Chart(app, '30-dapr', { namespace: namespaces.apps });
  daprConfiguration(dapr);
  daprResiliency(dapr, ctx.services);
  daprComponents(dapr, ctx.services);

  const mesh = new Chart(app, '40-mesh');
  peerAuthentication(mesh);
  authorizationPolicies(mesh, ctx.services);
  destinationRules(mesh, ctx.services);
  invocationRoutes(mesh, ctx.services, ctx.istioFaults);
  ingress(mesh, ctx.services);

  const apps = new Chart(app, '50-apps', { namespace: namespaces.apps });
  for (const spec of ctx.services) serviceWorkload(apps, spec, ctx);

  if (ctx.load) loadJob(new Chart(app, '60-load'), ctx.load);

  return app;
}
