/** users declared: its database, REST and gRPC on one port, sessions in the state store, the outbox. */
import { defineService, type Sidecar } from '@meshmart/kit';
import { UsersInternalServiceService } from '@meshmart/proto/users/v1/users';
import { Accounts } from './accounts.ts';
import { type UsersConfig, usersConfigSchema } from './config.ts';
import { usersInternalHandlers } from './grpc.ts';
import { migrations } from './migrations.ts';
import { mountRoutes } from './routes.ts';
import { Sessions } from './sessions.ts';
import { SigningKeys } from './signing-keys.ts';
import { UsersRepo } from './users-store.ts';

export const service = defineService({
  name: 'users',
  config: usersConfigSchema,
  postgres: { migrations },
  compose: async ({ config, logger, pool, sidecar }) => {
    const tokens = {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    };
    const repo = new UsersRepo(pool);
    const keys = new SigningKeys(pool, config.SIGNING_KEY_MAX_AGE_DAYS, config.ACCESS_TOKEN_TTL_SECONDS);
    const sessions = new Sessions(sidecar, config.STATE_STORE, config.REFRESH_TOKEN_TTL_SECONDS);
    const accounts = new Accounts(repo, keys, sessions, tokens);
    await keys.signingKey();
    if (config.ADMIN_EMAIL) {
      const password = config.ADMIN_PASSWORD ?? (await adminPasswordFromSecretStore(sidecar, config));
      const outcome = await accounts.bootstrapAdmin(config.ADMIN_EMAIL, password);
      if (outcome === 'absent') logger.warn('ADMIN_EMAIL has no account and no ADMIN_PASSWORD was given; no admin exists');
    }
    return {
      routes: (router) => mountRoutes(router, { accounts, repo, keys, tokens }),
      subscriptions: [],
      grpc: [{ definition: UsersInternalServiceService, handlers: usersInternalHandlers(repo) }],
    };
  },
});

/** Reads the admin password through Dapr's secrets API, so it never sits in the pod spec. */
async function adminPasswordFromSecretStore(sidecar: Sidecar, config: UsersConfig): Promise<string | undefined> {
  if (!config.ADMIN_PASSWORD_SECRET) return undefined;
  await waitForSidecar(sidecar);
  const secret = await sidecar.secret(config.SECRET_STORE, config.ADMIN_PASSWORD_SECRET);
  const password = Object.values(secret)[0];
  if (!password || password.length < 12) {
    throw new Error(
      `secret ${config.ADMIN_PASSWORD_SECRET} in ${config.SECRET_STORE} must hold a password of 12 or more characters`,
    );
  }
  return password;
}

/** daprd starts alongside its app; its APIs answer once its components are loaded. */
async function waitForSidecar(sidecar: Sidecar, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await sidecar.outboundReady();
    } catch (err) {
      if (Date.now() > deadline) throw new Error('the Dapr sidecar did not become healthy', { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
