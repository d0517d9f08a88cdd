/**
 * Credentials of the private, loopback-only infrastructure. They are fixed rather than
 * random because the committed dapr/ files for `dapr run -f .` must carry them too;
 * nothing outside this machine can reach these servers.
 */
export const localCredentials = {
  postgres: { user: 'meshmart', password: 'meshmart-local' },
  rabbitmq: { user: 'meshmart', password: 'meshmart-local' },
  /** The admin users bootstraps; its password reaches users through the Dapr secret store. */
  admin: { email: 'admin@meshmart.local', password: 'meshmart-admin-local', secret: 'users-admin-password' },
} as const;
