/**
 * Gateway settings on top of the shared ones (docs/CONTRACTS.md). Every value has a
 * default that fits the cluster, so only the shared variables must be set.
 */
import { accessTokenConfigShape, env, serviceConfig } from '@meshmart/kit';

export const gatewayConfigSchema = serviceConfig('gateway', {
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl(['http', 'https']),
  BODY_LIMIT: env.size('16kb'),
  /** Body limit of `POST /api/qr/batch`: 500 items of up to 2,048 characters each. */
  BATCH_BODY_LIMIT: env.size('2mb'),
  /** Time a call to a service through the sidecar may take before the caller gets 504. */
  UPSTREAM_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /**
   * The same for routes that wait for a saga (checkout, cancel); above orders'
   * CHECKOUT_WAIT_MS (25 s), after which orders answers 202 with the pending order.
   */
  SAGA_TIMEOUT_MS: env.int(30_000, 1000, 120_000),
  /** Deadline of unary gRPC calls to links and qr (through the sidecar). */
  GRPC_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /**
   * Deadline of ResolveURL behind `GET /s/:code`. Shorter than the others: the edge gives
   * the redirect 5 s in all, and a redirect that slow has already lost its visitor.
   */
  RESOLVE_TIMEOUT_MS: env.int(2000, 50, 30_000),
  /** Deadline of a whole QR batch stream (500 codes at most). */
  QR_BATCH_TIMEOUT_MS: env.int(120_000, 1000, 600_000),
  /** Interval of `: ping` comments on open event streams, so idle proxies keep them open. */
  SSE_HEARTBEAT_MS: env.int(15_000, 1000, 300_000),
  /**
   * Origin short links are handed out under (`shortUrl` = this + `/s/<code>`): the public
   * address of the ingress in a cluster, the gateway's own address on a laptop.
   */
  PUBLIC_BASE_URL: env.url(['http', 'https'], 'http://127.0.0.1:3000').transform((v) => v.replace(/\/+$/, '')),
  /**
   * Jaeger query API the admin trace view reads (`GET /api/admin/traces/:traceId`);
   * unset, that route answers 503.
   */
  JAEGER_QUERY_URL: env.optionalUrl(['http', 'https']),
  /** Jaeger's own UI, linked from the trace view where one is deployed. */
  JAEGER_UI_URL: env.optionalUrl(['http', 'https']),
  ...accessTokenConfigShape,
  /** Dapr state store holding the rate-limit counters. */
  STATE_STORE: env.string('statestore'),
  RATE_LIMIT_WINDOW_SECONDS: env.int(60, 1, 3600),
  /** Requests per window and client on /api/auth/* (credential guessing is the threat). */
  RATE_LIMIT_AUTH_MAX: env.int(20, 1),
  /** Requests per window and client on every other /api route. */
  RATE_LIMIT_API_MAX: env.int(300, 1),
  /**
   * Redirects per window and client address on `/s/:code`. Generous: one address may be
   * a whole office behind NAT. Each replica leases a slice of it at a time (rate-limit.ts).
   */
  RATE_LIMIT_REDIRECT_MAX: env.int(6000, 1),
  /** A state store slower than this is treated as down, and the request let through. */
  RATE_LIMIT_STORE_TIMEOUT_MS: env.int(250, 10, 5000),
  /**
   * Proxies of ours in front of the gateway that append to X-Forwarded-For (1 behind the
   * Istio ingress gateway; 0 when clients connect directly, as in the local stack).
   */
  TRUSTED_PROXY_HOPS: env.int(0, 0, 10),
});
