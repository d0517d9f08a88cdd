/**
 * Grafana's provisioning: Prometheus and Jaeger datasources with fixed uids (the
 * dashboards refer to them by uid) and every dashboard in dashboards/grafana/, loaded
 * read-only from a ConfigMap so the repository stays the source of truth.
 */
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { SynthContext } from '../context.ts';
import { namespaces } from '../settings.ts';

export const datasourceUids = { prometheus: 'prometheus', jaeger: 'jaeger' } as const;

const dashboardsPath = '/var/lib/grafana/dashboards/meshmart';

export function grafanaAdminSecret(scope: Construct, ctx: SynthContext): kplus.Secret {
  return new kplus.Secret(scope, 'grafana-admin', {
    metadata: { name: 'grafana-admin', namespace: namespaces.observability },
    stringData: { password: ctx.secrets.value('grafana/admin-password') },
  });
}

export function grafanaProvisioning(
  scope: Construct,
  grafana: kplus.Deployment,
  ctx: SynthContext,
  urls: { prometheusUrl: string; jaegerUrl: string },
): void {
  const [container] = grafana.containers;
  if (!container) throw new Error('grafana deployment has no container');
  const ns = namespaces.observability;

  const datasources = new kplus.ConfigMap(scope, 'grafana-datasources', {
    metadata: { name: 'grafana-datasources', namespace: ns },
    data: {
      'datasources.yaml': stringify({
        apiVersion: 1,
        datasources: [
          {
            name: 'Prometheus',
            uid: datasourceUids.prometheus,
            type: 'prometheus',
            access: 'proxy',
            url: urls.prometheusUrl,
            isDefault: true,
            editable: false,
          },
          { name: 'Jaeger', uid: datasourceUids.jaeger, type: 'jaeger', access: 'proxy', url: urls.jaegerUrl, editable: false },
        ],
      }),
    },
  });
  const providers = new kplus.ConfigMap(scope, 'grafana-dashboard-providers', {
    metadata: { name: 'grafana-dashboard-providers', namespace: ns },
    data: {
      'meshmart.yaml': stringify({
        apiVersion: 1,
        providers: [
          {
            name: 'meshmart',
            folder: 'meshmart',
            type: 'file',
            disableDeletion: true,
            allowUiUpdates: false,
            options: { path: dashboardsPath },
          },
        ],
      }),
    },
  });
  const dashboards = new kplus.ConfigMap(scope, 'grafana-dashboards', {
    metadata: { name: 'grafana-dashboards', namespace: ns },
    data: Object.fromEntries(ctx.dashboards),
  });

  container.mount(
    '/etc/grafana/provisioning/datasources',
    kplus.Volume.fromConfigMap(scope, 'grafana-datasources-volume', datasources),
  );
  container.mount(
    '/etc/grafana/provisioning/dashboards',
    kplus.Volume.fromConfigMap(scope, 'grafana-providers-volume', providers),
  );
  container.mount(dashboardsPath, kplus.Volume.fromConfigMap(scope, 'grafana-dashboards-volume', dashboards));
}
