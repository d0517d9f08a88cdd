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
  // Each provisioning input is a ConfigMap mounted where Grafana looks for that kind.
  const mountConfigMap = (name: string, mountPath: string, data: Record<string, string>) => {
    const configMap = new kplus.ConfigMap(scope, name, { metadata: { name, namespace: namespaces.observability }, data });
    container.mount(mountPath, kplus.Volume.fromConfigMap(scope, `${name}-volume`, configMap));
  };
  const provisioningFile = (entries: Record<string, unknown[]>) => stringify({ apiVersion: 1, ...entries });

  mountConfigMap('grafana-datasources', '/etc/grafana/provisioning/datasources', {
    'datasources.yaml': provisioningFile({
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
  });
  mountConfigMap('grafana-dashboard-providers', '/etc/grafana/provisioning/dashboards', {
    'meshmart.yaml': provisioningFile({
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
  });
  mountConfigMap('grafana-dashboards', dashboardsPath, Object.fromEntries(ctx.dashboards));
}
