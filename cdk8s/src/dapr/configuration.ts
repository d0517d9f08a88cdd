/**
 * The Dapr Configuration every app's sidecar loads (dapr.io/config). Istio owns mTLS, so
 * Dapr's is off; invocation is addressed to `<app-id>-invoke` so Istio's per-request
 * policies see it; traces go to the same collector as the apps' and Envoy's.
 */
import { daprConfigName, daprHttpMetrics } from '@meshmart/kit/deployment/sidecar';
import type { Construct } from 'constructs';
import { Configuration } from '../../imports/dapr.io.ts';
import { daprNameResolutionTemplate, fqdn } from '../naming.ts';
import { observabilityEndpoints } from '../observability/endpoints.ts';
import { namespaces, trustDomain } from '../settings.ts';

export function daprConfiguration(scope: Construct): void {
  new Configuration(scope, 'dapr-configuration', {
    metadata: { name: daprConfigName },
    spec: {
      tracing: {
        // Every span is recorded when the parent asks for it; Dapr's sampler is
        // parent-based, so the ingress gateway's head sampling decides for the whole trace.
        samplingRate: '1',
        otel: { endpointAddress: observabilityEndpoints.otlpGrpcHostPort, isSecure: false, protocol: 'grpc' },
      },
      metric: { enabled: true, http: { ...daprHttpMetrics } },
      // Sidecars take their mTLS switch from the control plane's `daprsystem`
      // Configuration (Helm: global.mtls.enabled=false, see scripts/kind-up.sh); this
      // block states the same choice where app owners look for it.
      mtls: {
        enabled: false,
        controlPlaneTrustDomain: trustDomain,
        sentryAddress: `${fqdn('dapr-sentry', namespaces.dapr)}:443`,
      },
      nameResolution: {
        component: 'kubernetes',
        version: 'v1',
        configuration: { template: daprNameResolutionTemplate },
      },
      logging: { apiLogging: { enabled: false, omitHealthChecks: true } },
    },
  });
}
