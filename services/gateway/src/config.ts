/**
 * Gateway settings on top of the shared ones (docs/CONTRACTS.md). Every value has a
 * default that fits the cluster, so only the shared variables must be set.
 */
import { accessTokenConfigShape, env, loadConfig, serviceConfig } from '@meshmart/kit';
import type { z } from 'zod';

export const gatewayConfigSchema = serviceConfig({
  PORT: env.port(3000),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl(['http', 'https']),
  BODY_LIMIT: env.size('16kb'),
  /** Time a call to a service through the sidecar may take before the caller gets 504. */
  UPSTREAM_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /**
   * The same for routes that wait for a saga (checkout, cancel); above orders'
   * CHECKOUT_WAIT_MS (25 s), after which orders answers 202 with the pending order.
   */
  SAGA_TIMEOUT_MS: env.int(30_000, 1000, 120_000),
  ...accessTokenConfigShape,
  /** Dapr state store holding the rate-limit counters. */
  STATE_STORE: env.string('statestore'),
  RATE_LIMIT_WINDOW_SECONDS: env.int(60, 1, 3600),
  /** Requests per window and client on /api/auth/* (credential guessing is the threat). */
  RATE_LIMIT_AUTH_MAX: env.int(20, 1),
  /** Requests per window and client on every other /api route. */
  RATE_LIMIT_API_MAX: env.int(300, 1),
  /** A state store slower than this is treated as down, and the request let through. */
  RATE_LIMIT_STORE_TIMEOUT_MS: env.int(250, 10, 5000),
  /**
   * Proxies of ours in front of the gateway that append to X-Forwarded-For (1 behind the
   * Istio ingress gateway; 0 when clients connect directly, as in the local stack).
   */
  TRUSTED_PROXY_HOPS: env.int(0, 0, 10),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayConfigSchema, source);
}
