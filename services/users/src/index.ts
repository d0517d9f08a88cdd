/**
 * What other packages may use of users: enough to run it in-process beside another
 * service's tests and to sign tokens with its real keys (catalog verifies them through
 * users' JWKS endpoint).
 */
export { service } from './service.ts';
export { SigningKeys } from './signing-keys.ts';
export { issueAccessToken, type TokenSettings } from './tokens.ts';
