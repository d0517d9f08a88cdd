/**
 * The one table of gateway routes. The router is mounted from it and the OpenAPI
 * document is generated from it, so a route cannot exist without being described.
 */
import type { z } from 'zod';
import {
  address,
  addressIdParams,
  addressList,
  addressRequest,
  jwks,
  listUsersQuery,
  loginRequest,
  refreshRequest,
  registerRequest,
  tokenPair,
  updateMeRequest,
  user,
  userPage,
} from './schemas.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Who may call a route: anyone, any signed-in user, or users with the admin role. */
export type Access = 'public' | 'user' | 'admin';

/** Rate-limit budget a route draws from; see rate-limit.ts. */
export type LimitGroup = 'auth' | 'api';

export interface SuccessResponse {
  status: number;
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

/** What answers a route: a users endpoint through the sidecar, or the gateway itself. */
export type RouteTarget =
  | { kind: 'users'; path: string }
  | { kind: 'openapi' }
  /** Probes and metrics come from the kit's app factory; listed here to be documented. */
  | { kind: 'kit' };

export interface GatewayRoute {
  method: HttpMethod;
  /** Koa path pattern, e.g. `/api/users/me/addresses/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /** Unset for the kit's probes, which are never rate limited. */
  limit?: LimitGroup;
  body?: z.ZodType;
  params?: z.ZodObject;
  query?: z.ZodObject;
  success: SuccessResponse;
  /** Problem statuses this route answers beyond those implied by body, access and limits. */
  errors: number[];
  target: RouteTarget;
}

const authTag = 'auth';
const profileTag = 'profile';
const adminTag = 'admin';

export const routes: readonly GatewayRoute[] = [
  {
    method: 'POST',
    path: '/api/auth/register',
    summary: 'Create an account',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: registerRequest,
    success: { status: 201, description: 'The new account', schema: user },
    errors: [409],
    target: { kind: 'users', path: '/auth/register' },
  },
  {
    method: 'POST',
    path: '/api/auth/login',
    summary: 'Exchange e-mail and password for an access token and a refresh token',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: loginRequest,
    success: { status: 200, description: 'Tokens and the signed-in user', schema: tokenPair },
    errors: [401],
    target: { kind: 'users', path: '/auth/login' },
  },
  {
    method: 'POST',
    path: '/api/auth/refresh',
    summary: 'Rotate a refresh token into a new token pair',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: refreshRequest,
    success: { status: 200, description: 'A new token pair; the old refresh token is spent', schema: tokenPair },
    errors: [401],
    target: { kind: 'users', path: '/auth/refresh' },
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    summary: 'Revoke a refresh token',
    tag: authTag,
    access: 'public',
    limit: 'auth',
    body: refreshRequest,
    success: { status: 204, description: 'Revoked' },
    errors: [],
    target: { kind: 'users', path: '/auth/logout' },
  },
  {
    method: 'GET',
    path: '/api/users/me',
    summary: 'The signed-in user',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    success: { status: 200, description: 'Profile', schema: user },
    errors: [],
    target: { kind: 'users', path: '/me' },
  },
  {
    method: 'PUT',
    path: '/api/users/me',
    summary: 'Change the display name',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    body: updateMeRequest,
    success: { status: 200, description: 'Updated profile', schema: user },
    errors: [],
    target: { kind: 'users', path: '/me' },
  },
  {
    method: 'GET',
    path: '/api/users/me/addresses',
    summary: 'Addresses of the signed-in user',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    success: { status: 200, description: 'Addresses', schema: addressList },
    errors: [],
    target: { kind: 'users', path: '/me/addresses' },
  },
  {
    method: 'POST',
    path: '/api/users/me/addresses',
    summary: 'Add an address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    body: addressRequest,
    success: { status: 201, description: 'The new address', schema: address },
    errors: [],
    target: { kind: 'users', path: '/me/addresses' },
  },
  {
    method: 'GET',
    path: '/api/users/me/addresses/:id',
    summary: 'One address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    params: addressIdParams,
    success: { status: 200, description: 'Address', schema: address },
    errors: [404],
    target: { kind: 'users', path: '/me/addresses/:id' },
  },
  {
    method: 'PUT',
    path: '/api/users/me/addresses/:id',
    summary: 'Replace an address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    params: addressIdParams,
    body: addressRequest,
    success: { status: 200, description: 'Replaced address', schema: address },
    errors: [404],
    target: { kind: 'users', path: '/me/addresses/:id' },
  },
  {
    method: 'DELETE',
    path: '/api/users/me/addresses/:id',
    summary: 'Delete an address',
    tag: profileTag,
    access: 'user',
    limit: 'api',
    params: addressIdParams,
    success: { status: 204, description: 'Deleted' },
    errors: [404],
    target: { kind: 'users', path: '/me/addresses/:id' },
  },
  {
    method: 'GET',
    path: '/api/admin/users',
    summary: 'List accounts (admin role)',
    tag: adminTag,
    access: 'admin',
    limit: 'api',
    query: listUsersQuery,
    success: { status: 200, description: 'One page of accounts, oldest first', schema: userPage },
    errors: [],
    target: { kind: 'users', path: '/admin/users' },
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'Public keys that verify access tokens (for the ingress JWT check and other verifiers)',
    tag: authTag,
    access: 'public',
    limit: 'api',
    success: { status: 200, description: 'JSON Web Key Set (ES256)', schema: jwks },
    errors: [],
    target: { kind: 'users', path: '/.well-known/jwks.json' },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'meta',
    access: 'public',
    limit: 'api',
    success: { status: 200, description: 'OpenAPI 3.1 document', contentType: 'application/json' },
    errors: [],
    target: { kind: 'openapi' },
  },
  {
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tag: 'meta',
    access: 'public',
    success: { status: 200, description: 'Alive', contentType: 'application/json' },
    errors: [],
    target: { kind: 'kit' },
  },
  {
    method: 'GET',
    path: '/readyz',
    summary: "Readiness: the gateway's Dapr sidecar is healthy",
    tag: 'meta',
    access: 'public',
    success: { status: 200, description: 'Ready (503 with the failing checks otherwise)', contentType: 'application/json' },
    errors: [],
    target: { kind: 'kit' },
  },
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'meta',
    access: 'public',
    success: { status: 200, description: 'Prometheus text exposition format', contentType: 'text/plain' },
    errors: [],
    target: { kind: 'kit' },
  },
];
