/**
 * The edge: one Istio Gateway on the ingress gateway, one VirtualService sending the REST
 * API (`/api`), short links (`/s/:code`) and the web UI (`/`) to the public service, and
 * JWT validation of any bearer token before a request enters the mesh.
 */

import { accessTokenClaims as accessTokens } from '@meshmart/kit/deployment/environment';
import type { ServiceSpec } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { fqdn, ingressGateway } from '../naming.ts';
import { namespaces } from '../settings.ts';
import { istioObject } from './istio-object.ts';
import { trafficSettings } from './traffic.ts';

export const edgeGatewayName = 'edge';

/** The one service the ingress forwards to; the topology marks it `public`. */
export function edgeService(services: readonly ServiceSpec[]): ServiceSpec {
  const publicServices = services.filter((s) => s.public);
  const [only] = publicServices;
  if (publicServices.length !== 1 || !only) {
    throw new Error(`the ingress needs exactly one public service, topology has ${publicServices.length}`);
  }
  return only;
}

export const edgeRoutes = {
  /** Server-sent events stay open for as long as the browser watches. */
  eventStreamAccept: '.*text/event-stream.*',
  /**
   * The gateway's event streams, matched by path too: a fetch() caller need not send
   * `Accept: text/event-stream`, and a QR batch may take longer than the API timeout.
   */
  eventStreamPaths: [{ regex: '^/api/links/[^/]+/stats/stream$' }, { exact: '/api/qr/batch' }],
  /**
   * Checkout and cancel run a saga that may wait up to the gateway's SAGA_TIMEOUT_MS
   * (30 s) before answering 202; the edge must not cut it first.
   */
  orders: { prefix: '/api/orders', timeout: '40s', perTryTimeout: '40s' },
  api: { prefix: '/api', timeout: '15s', perTryTimeout: '5s' },
  shortLinks: { prefix: '/s/', timeout: '5s', perTryTimeout: '5s' },
  web: { prefix: '/', timeout: '15s', perTryTimeout: '5s' },
} as const;

export function jwksUri(services: readonly ServiceSpec[]): string {
  const edge = edgeService(services);
  return `http://${fqdn(edge.name, namespaces.apps)}:${edge.port}/.well-known/jwks.json`;
}

export function ingress(scope: Construct, services: readonly ServiceSpec[]): void {
  const edge = edgeService(services);
  const destination = { host: fqdn(edge.name, namespaces.apps), port: { number: edge.port } };

  istioObject(
    scope,
    'Gateway',
    { name: edgeGatewayName, namespace: namespaces.apps },
    {
      selector: { ...ingressGateway.selector },
      servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
    },
  );

  istioObject(
    scope,
    'VirtualService',
    { name: edgeGatewayName, namespace: namespaces.apps },
    {
      hosts: ['*'],
      gateways: [`${namespaces.apps}/${edgeGatewayName}`],
      http: [
        {
          name: 'event-streams',
          match: [
            { headers: { accept: { regex: edgeRoutes.eventStreamAccept } } },
            ...edgeRoutes.eventStreamPaths.map((uri) => ({ uri })),
          ],
          route: [{ destination }],
          // No timeout field: an Istio route has none unless given one. '0s' is not
          // "none": the VirtualService CRD rejects any duration under 1 ms.
          retries: { attempts: 0 },
        },
        ...(['orders', 'api', 'shortLinks', 'web'] as const).map((key) => ({
          name: key,
          match: [{ uri: { prefix: edgeRoutes[key].prefix } }],
          route: [{ destination }],
          timeout: edgeRoutes[key].timeout,
          retries: {
            attempts: trafficSettings.attempts,
            perTryTimeout: edgeRoutes[key].perTryTimeout,
            retryOn: trafficSettings.ingressRetryOn,
          },
        })),
      ],
    },
  );

  // Tokens are optional at the edge (register, login, /s/:code and the web UI have
  // none) but a token that is present must verify, so forged or expired ones stop here.
  // The gateway still verifies claims itself and needs the header, hence forwardOriginalToken.
  // Envoy fetches the JWKS over the mesh (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy in istio/):
  // istiod has no sidecar and could not pass STRICT mTLS to reach it.
  istioObject(
    scope,
    'RequestAuthentication',
    { name: 'edge-jwt', namespace: ingressGateway.namespace },
    {
      selector: { matchLabels: { ...ingressGateway.selector } },
      jwtRules: [
        {
          issuer: accessTokens.issuer,
          audiences: [accessTokens.audience],
          jwksUri: jwksUri(services),
          forwardOriginalToken: true,
        },
      ],
    },
  );
}
