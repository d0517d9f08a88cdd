/** Request bodies users accepts. Strict objects: unknown fields are refused. */
import { z } from 'zod';

const email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
const password = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');
const displayName = z.string().trim().min(1).max(80);

export const registerBody = z.strictObject({ email, password, displayName });
export const loginBody = z.strictObject({ email, password: z.string().min(1).max(128) });
export const refreshBody = z.strictObject({ refreshToken: z.string().min(16).max(200) });
export const updateMeBody = z.strictObject({ displayName });

const addressFields = {
  label: z.string().trim().max(40).default(''),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).default(''),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .transform((c) => c.toUpperCase()),
};
export const addressBody = z.strictObject(addressFields);

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

export const uuidParam = z.uuid();

export type RegisterBody = z.infer<typeof registerBody>;
export type AddressBody = z.infer<typeof addressBody>;
