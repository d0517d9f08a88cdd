/**
 * Access tokens: short-lived ES256 JWTs carrying the user id and roles. Refresh tokens
 * are opaque random strings; only their hash is stored, in the Dapr state store, so a
 * leaked state store does not leak usable tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

export interface AccessClaims extends JWTPayload {
  sub: string;
  roles: string[];
}

export async function issueAccessToken(
  keys: SigningKeys,
  settings: TokenSettings,
  user: { id: string; roles: string[] },
): Promise<string> {
  const { kid, privateKey } = await keys.signingKey();
  return new SignJWT({ roles: user.roles })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.accessTtlSeconds}s`)
    .sign(privateKey);
}

/** Verifies a bearer token against the service's own published keys (`SigningKeys.verificationKeys()`). */
export async function verifyAccessToken(keys: JWTVerifyGetKey, settings: TokenSettings, token: string): Promise<AccessClaims> {
  const { payload } = await jwtVerify(token, keys, {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: ['ES256'],
    requiredClaims: ['exp', 'sub'],
  });
  return { ...payload, sub: payload.sub as string, roles: Array.isArray(payload.roles) ? (payload.roles as string[]) : [] };
}

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
