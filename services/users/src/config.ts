import { env, postgresConfigShape, serviceConfig } from '@meshmart/kit';
import { z } from 'zod';

export const usersConfigSchema = serviceConfig('users', {
  ...postgresConfigShape(),
  STATE_STORE: env.string('statestore'),
  BODY_LIMIT: env.size('16kb'),
  JWT_ISSUER: env.string('meshmart-users'),
  JWT_AUDIENCE: env.string('meshmart'),
  ACCESS_TOKEN_TTL_SECONDS: env.int(900, 30, 86_400),
  REFRESH_TOKEN_TTL_SECONDS: env.int(30 * 86_400, 60, 365 * 86_400),
  /** A signing key older than this is replaced; retired keys stay in the JWKS until their tokens expire. */
  SIGNING_KEY_MAX_AGE_DAYS: env.int(30, 1, 365),
  /** The first account with this e-mail gets the admin role (created at start if a password is given). */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /** Or: the name of a secret in the Dapr secret store holding that password (first key). */
  ADMIN_PASSWORD_SECRET: env.optionalString(),
  SECRET_STORE: env.string('secretstore'),
});

export type UsersConfig = z.infer<typeof usersConfigSchema>;
