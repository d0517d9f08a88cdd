/**
 * Verifies users' access tokens, at the edge and again in services that act for a user.
 * Keys come from users' JWKS, fetched through the caller's own Dapr sidecar, cached, and refetched when a token names a key the
 * cache does not hold (key rotation), at most once per cooldown so forged `kid`s cannot
 * turn into a flood of fetches. Failing to get the keys is the verifier's problem, not
 * the caller's: it answers 503, never 401.
 *
 * A token that passed is remembered until it expires, for at most the key cache's age
 * (`VerifiedTokens`).
 */

import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { z } from 'zod';
import { env } from './config.ts';
import { type Problem, problems } from './errors.ts';
import { VerifiedTokens } from './verified-tokens.ts';

export interface Principal {
  id: string;
  roles: string[];
}

export interface AccessTokenVerifierOptions {
  jwksUrl: URL;
  /** Sent with every key-set fetch; carries the `dapr-api-token` for the sidecar. */
  headers?: Record<string, string>;
  issuer: string;
  audience: string;
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMaxAgeMs: number;
  /** Least time between fetches triggered by an unknown `kid`. */
  cooldownMs: number;
  timeoutMs: number;
  /** Replaces `fetch` for key-set requests (tests). */
  fetch?: FetchImplementation;
  /** Told why each token was refused, e.g. to count rejections by reason. */
  onRejection?: (reason: string) => void;
}

export interface AccessTokenVerifier {
  /** Resolves the principal of an `Authorization` header value or throws a Problem. */
  verify(authorization: string): Promise<Principal>;
}

/** Thrown by the key resolver when the key set could not be obtained at all. */
class KeySetUnavailable extends Error {
  override name = 'KeySetUnavailable';
}

const BEARER = /^Bearer +([A-Za-z0-9_.~+/-]+=*)$/i;
const rolesClaim = z.array(z.string()).default([]);
const CLOCK_TOLERANCE_SECONDS = 5;

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const rejected = (reason: string, detail: string): Problem => {
    options.onRejection?.(reason);
    return problems.unauthorized(detail);
  };
  const problemFor = (err: unknown): Problem => {
    if (err instanceof KeySetUnavailable) {
      options.onRejection?.('keys_unavailable');
      return problems.unavailable('cannot verify access tokens: the signing keys are unavailable', err);
    }
    if (err instanceof errors.JWTExpired) return rejected('expired', 'the access token has expired');
    if (err instanceof errors.JWTClaimValidationFailed) {
      return rejected('claims', `the access token's "${err.claim}" claim is not acceptable`);
    }
    if (err instanceof errors.JOSEAlgNotAllowed) return rejected('algorithm', 'access tokens must be signed with ES256');
    if (err instanceof errors.JWKSNoMatchingKey) return rejected('unknown_key', 'the access token was signed by an unknown key');
    if (err instanceof errors.JWSSignatureVerificationFailed)
      return rejected('signature', 'the access token signature is invalid');
    // Everything else jose raises is a token that is not a well-formed JWS/JWT.
    return rejected('malformed', 'the access token is malformed');
  };
  const remote = createRemoteJWKSet(options.jwksUrl, {
    cacheMaxAge: options.cacheMaxAgeMs,
    cooldownDuration: options.cooldownMs,
    timeoutDuration: options.timeoutMs,
    ...(options.headers && { headers: options.headers }),
    ...(options.fetch && { [customFetch]: options.fetch }),
  });
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      // These two mean the token names no (or no single) published key: the token's fault.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new KeySetUnavailable('the signing keys could not be fetched from users', { cause: err });
    }
  };

  const verified = new VerifiedTokens<Principal>(options.cacheMaxAgeMs);

  return {
    async verify(authorization) {
      if (authorization === '') throw rejected('missing', 'a bearer access token is required');
      const token = BEARER.exec(authorization)?.[1];
      if (!token) throw rejected('malformed', 'the Authorization header must be `Bearer <access token>`');
      const known = verified.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms: ['ES256'],
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (err) {
        throw problemFor(err);
      }
      const roles = rolesClaim.safeParse(payload.roles);
      if (typeof payload.sub !== 'string' || payload.sub === '' || !roles.success) {
        throw rejected('claims', 'the access token carries malformed claims');
      }
      const principal: Principal = Object.freeze({ id: payload.sub, roles: Object.freeze(roles.data) as string[] });
      verified.remember(token, principal, payload.exp as number);
      return principal;
    },
  };
}

/** users' JWKS as seen through the caller's own sidecar. */
export function jwksUrlThroughSidecar(daprHttpPort: number): URL {
  return new URL(`http://127.0.0.1:${daprHttpPort}/v1.0/invoke/users/method/.well-known/jwks.json`);
}

/** Settings of every service that verifies access tokens; spread into its serviceConfig. */
export const accessTokenConfigShape = {
  JWT_ISSUER: env.string('meshmart-users'),
  JWT_AUDIENCE: env.string('meshmart'),
  /** Fetched signing keys are trusted this long before users' JWKS is fetched again. */
  JWKS_CACHE_MAX_AGE_MS: env.int(600_000, 1000, 86_400_000),
  /** Least time between JWKS fetches caused by tokens naming an unknown key. */
  JWKS_COOLDOWN_MS: env.int(10_000, 0, 3_600_000),
  JWKS_TIMEOUT_MS: env.int(2000, 100, 30_000),
};

export interface AccessTokenSettings {
  DAPR_HTTP_PORT: number;
  DAPR_API_TOKEN?: string | undefined;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWKS_CACHE_MAX_AGE_MS: number;
  JWKS_COOLDOWN_MS: number;
  JWKS_TIMEOUT_MS: number;
}

/** A verifier fetching users' keys through this service's own sidecar. */
export function accessTokenVerifierFromConfig(
  config: AccessTokenSettings,
  onRejection?: (reason: string) => void,
): AccessTokenVerifier {
  return createAccessTokenVerifier({
    jwksUrl: jwksUrlThroughSidecar(config.DAPR_HTTP_PORT),
    ...(config.DAPR_API_TOKEN && { headers: { 'dapr-api-token': config.DAPR_API_TOKEN } }),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    cacheMaxAgeMs: config.JWKS_CACHE_MAX_AGE_MS,
    cooldownMs: config.JWKS_COOLDOWN_MS,
    timeoutMs: config.JWKS_TIMEOUT_MS,
    ...(onRejection && { onRejection }),
  });
}
