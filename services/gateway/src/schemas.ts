/**
 * The shapes the gateway accepts and answers with. Request schemas are strict (unknown
 * fields are a 400 naming them) and are the same objects the handlers validate with and
 * the OpenAPI document is generated from, so the two cannot drift apart. Bounds follow
 * the users contract, so a request the gateway lets through is not refused upstream for
 * a reason the edge could have named.
 */
import { z } from 'zod';

const email = z.email().max(254);
const displayName = z.string().trim().min(1).max(80);
const refreshToken = z.string().min(16).max(200);

export const registerRequest = z.strictObject({
  email,
  password: z.string().min(8).max(128),
  displayName,
});

export const loginRequest = z.strictObject({ email, password: z.string().min(1).max(128) });

export const refreshRequest = z.strictObject({ refreshToken });

export const updateMeRequest = z.strictObject({ displayName });

export const addressRequest = z.strictObject({
  label: z.string().trim().max(40).optional(),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .describe('ISO 3166-1 alpha-2 country code, e.g. DE'),
});

export const addressIdParams = z.strictObject({ id: z.uuid() });

export const listUsersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

export const user = z.object({
  id: z.uuid(),
  email: z.email(),
  displayName: z.string(),
  roles: z.array(z.string()),
  createdAt: z.iso.datetime(),
});

export const tokenPair = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
  refreshToken: z.string(),
  user,
});

export const address = z.object({
  id: z.uuid(),
  label: z.string(),
  line1: z.string(),
  line2: z.string(),
  city: z.string(),
  postalCode: z.string(),
  country: z.string(),
});

export const jwks = z.object({
  keys: z.array(
    z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), crv: z.string(), x: z.string(), y: z.string() }),
  ),
});

export const addressList = z.object({ items: z.array(address) });

export const userPage = z.object({
  items: z.array(user),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** RFC 9457 problem details as every service renders them (kit `Problem`). */
export const problem = z.looseObject({
  type: z.url(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** Component names in the OpenAPI document. */
export const namedRequestSchemas = {
  RegisterRequest: registerRequest,
  LoginRequest: loginRequest,
  RefreshRequest: refreshRequest,
  UpdateMeRequest: updateMeRequest,
  AddressRequest: addressRequest,
};

export const namedResponseSchemas = {
  User: user,
  TokenPair: tokenPair,
  Address: address,
  AddressList: addressList,
  UserPage: userPage,
  Problem: problem,
};
