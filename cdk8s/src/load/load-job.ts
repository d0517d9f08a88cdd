/**
 * `npm run load`'s journeys as a Kubernetes Job: Artillery sends them at a fixed arrival
 * rate to the ingress gateway, as a user's traffic would arrive, so the results show in
 * the Grafana dashboards like any other traffic. Off unless synth is given a rate
 * (`skaffold dev -p load`). It runs outside the mesh, a client like any other.
 */
import { loadScript } from '@meshmart/stack/load-script';
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { ingressGateway } from '../naming.ts';
import { clusterDomain, images, namespaces } from '../settings.ts';

export interface LoadSettings {
  /** New journeys per second. */
  rate: number;
  durationSeconds: number;
}

/** Artillery's image runs as the `node` user. */
const ARTILLERY_USER = 1000;

export function loadJob(scope: Construct, settings: LoadSettings): void {
  const namespace = namespaces.observability;
  const labels = { app: 'load', 'app.kubernetes.io/part-of': 'meshmart' };
  const target = `http://${ingressGateway.service}.${ingressGateway.namespace}.svc.${clusterDomain}`;
  new ApiObject(scope, 'load-script', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'load-script', namespace, labels },
    data: { 'script.json': JSON.stringify(loadScript({ target, ...settings }), null, 2) },
  });
  new ApiObject(scope, 'load-job', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    // The rate and duration are in the name: a Job's pod template cannot change, so other
    // settings make another Job instead of a refused update.
    metadata: { name: `load-${settings.rate}-per-s-${settings.durationSeconds}s`, namespace, labels },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: ARTILLERY_USER, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'artillery',
              image: images.artillery,
              args: ['run', '--quiet', '/load/script.json'],
              env: [{ name: 'ARTILLERY_DISABLE_TELEMETRY', value: 'true' }],
              resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'script', mountPath: '/load', readOnly: true }],
            },
          ],
          volumes: [{ name: 'script', configMap: { name: 'load-script' } }],
        },
      },
    },
  });
}
