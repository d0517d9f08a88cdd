/** Credentials of the private, loopback-only infrastructure: the local target's (the plan's). */
export { localCredentials } from '@meshmart/kit/deployment/local-target';
