/**
 * Per-service settings the topology does not describe (it has no notion of JWT claims or
 * bootstrap accounts). Kept deliberately small: a fact several outputs need belongs in
 * the topology instead.
 */
import { observabilityEndpoints } from './observability/endpoints.ts';
import type { SecretValues } from './secret-values.ts';
import { localPorts } from './skaffold-config.ts';

/**
 * Claims users puts in access tokens. Set explicitly on users (which signs) and gateway
 * (which verifies) and checked by the ingress RequestAuthentication, so none can drift.
 */
export const accessTokens = { issuer: 'meshmart-users', audience: 'meshmart' } as const;

export const adminEmail = 'admin@meshmart.local';

export interface ServiceSettings {
  env: Record<string, string>;
  /** Sensitive settings: stored in the service's `<name>-secrets` Secret and read from there. */
  secretEnv: Record<string, string>;
}

export function serviceSettings(service: string, secrets: SecretValues): ServiceSettings {
  switch (service) {
    case 'users':
      return {
        env: { JWT_ISSUER: accessTokens.issuer, JWT_AUDIENCE: accessTokens.audience, ADMIN_EMAIL: adminEmail },
        secretEnv: { ADMIN_PASSWORD: secrets.value('users/admin-password') },
      };
    case 'gateway':
      return {
        env: {
          JWT_ISSUER: accessTokens.issuer,
          JWT_AUDIENCE: accessTokens.audience,
          // The Istio ingress gateway is the one proxy in front: trust its X-Forwarded-For
          // entry, or every client would share the ingress's address in the rate limiter.
          TRUSTED_PROXY_HOPS: '1',
          // The admin trace view reads Jaeger's query API, and links to Jaeger's UI where
          // skaffold forwards it (cdk8s/src/skaffold-config.ts).
          JAEGER_QUERY_URL: observabilityEndpoints.jaegerUi,
          JAEGER_UI_URL: `http://localhost:${localPorts.jaeger}`,
        },
        secretEnv: {},
      };
    case 'web':
      // Where the Dockerfile puts the static build of the app.
      return { env: { ASSETS_DIR: '/app/public' }, secretEnv: {} };
    default:
      return { env: {}, secretEnv: {} };
  }
}
