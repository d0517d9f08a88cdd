/**
 * users' REST API: accounts, sign-in, refresh sessions, profiles and addresses. The
 * gateway serves it under /api (auth, users/me, admin/users) and /.well-known/jwks.json.
 */
import { z } from 'zod';
import { offsetPage, pageQuery } from './common.ts';

const email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
const password = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');
const displayName = z.string().trim().min(1).max(80);
const refreshToken = z.string().min(16).max(200);

/** POST /auth/register */
export const registerRequest = z.strictObject({ email, password, displayName });
export type RegisterRequest = z.infer<typeof registerRequest>;
/** POST /auth/login */
export const loginRequest = z.strictObject({ email, password: z.string().min(1).max(128) });
/** POST /auth/refresh and /auth/logout */
export const refreshRequest = z.strictObject({ refreshToken });
/** PUT /me */
export const updateMeRequest = z.strictObject({ displayName });

/** POST /me/addresses, PUT /me/addresses/:id */
export const addressRequest = z.strictObject({
  label: z.string().trim().max(40).default(''),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).default(''),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .transform((c) => c.toUpperCase())
    .describe('ISO 3166-1 alpha-2 country code, e.g. DE'),
});
export type AddressRequest = z.infer<typeof addressRequest>;

export const addressIdParam = z.uuid();

/** GET /admin/users */
export const listUsersQuery = z.strictObject(pageQuery(1_000_000));

export const user = z.object({
  id: z.uuid(),
  email: z.email(),
  displayName: z.string(),
  roles: z.array(z.string()),
  createdAt: z.iso.datetime(),
});
export type User = z.infer<typeof user>;

export const tokenPair = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
  refreshToken: z.string(),
  user,
});
export type TokenPair = z.infer<typeof tokenPair>;

export const address = z.object({
  id: z.uuid(),
  label: z.string(),
  line1: z.string(),
  line2: z.string(),
  city: z.string(),
  postalCode: z.string(),
  country: z.string(),
});
export type Address = z.infer<typeof address>;

export const addressList = z.object({ items: z.array(address) });
export type AddressList = z.infer<typeof addressList>;

export const userPage = offsetPage(user);

export const jwks = z.object({
  keys: z.array(
    z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), crv: z.string(), x: z.string(), y: z.string() }),
  ),
});

export const usersErrors = {
  /** 409 on register: an account with this e-mail exists. */
  emailTaken: 'email_taken',
} as const;
