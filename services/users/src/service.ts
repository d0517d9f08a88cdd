/** Wires users together: config, database, sidecar, REST and gRPC on one port. */
import {
  createApp,
  createGrpcServer,
  createLogger,
  finishApp,
  initMetrics,
  mountSubscriptions,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarReadiness,
  startOutboxRelay,
} from '@meshmart/kit';
import { UsersInternalServiceService } from '@meshmart/proto/users/v1/users';
import { Accounts } from './accounts.ts';
import type { UsersConfig } from './config.ts';
import { usersInternalHandlers } from './internal-grpc.ts';
import { migrations } from './migrations.ts';
import { mountRoutes } from './routes.ts';
import { Sessions } from './sessions.ts';
import { SigningKeys } from './signing-keys.ts';
import { UsersRepo } from './users-repo.ts';

export async function startUsers(config: UsersConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('users', config.LOG_LEVEL);
  initMetrics('users');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger);

  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });
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

  const service = createApp({
    service: 'users',
    logger,
    bodyLimit: config.BODY_LIMIT,
    appToken: config.APP_API_TOKEN,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      ...sidecarReadiness(sidecar, 'users'),
    ],
  });
  mountRoutes(service.router, { accounts, repo, keys, tokens });
  mountSubscriptions(service.router, [], logger);
  const grpc = createGrpcServer({ logger, appToken: config.APP_API_TOKEN });
  grpc.addService(UsersInternalServiceService, usersInternalHandlers(repo));

  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });
  return serveService(finishApp(service), config, {
    logger,
    grpcServer: grpc.server,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
    onShutdown: [() => relay.stop(), () => pool.end()],
  });
}

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
