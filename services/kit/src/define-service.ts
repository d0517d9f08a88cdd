/**
 * A service declared rather than wired: its configuration schema, its database and
 * migrations, and a `compose` step that builds its domain objects and names its routes,
 * gRPC services, subscriptions, background work and extra readiness checks. The kit does
 * the plumbing every service shares, in one order: logger and metrics, database and
 * migrations, sidecar, fault flags, the Koa app with `/healthz` `/readyz` `/metrics`,
 * gRPC on the app port (or an admin port for gRPC-only apps), the outbox relay, serving,
 * and on shutdown: drain, fault flags, the service's own stops in the order declared, the
 * outbox relay, the database, span export.
 *
 * What the topology already says is not declared again: an app that publishes and owns a
 * PostgreSQL database relays its outbox; an app given the fault-flag store follows its
 * flags. The pool size and body limit are the configuration's DB_POOL_MAX and BODY_LIMIT.
 */

import type * as grpc from '@grpc/grpc-js';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type pg from 'pg';
import type { z } from 'zod';
import { type AccessTokenSettings, type AccessTokenVerifier, accessTokenVerifierFromConfig } from './access-tokens.ts';
import { type AppOptions, createApp, finishApp, type ReadinessCheck } from './app.ts';
import { type BaseConfig, loadConfig, type PostgresConfig } from './config.ts';
import { Sidecar } from './dapr.ts';
import { type Migration, openDatabase } from './db.ts';
import { type FaultFlags, FLAG_STORE, followFaultFlags } from './fault-flags.ts';
import { createGrpcServer, type SidecarTarget, sidecarGrpcClient } from './grpc.ts';
import { createLogger, type Logger } from './logging.ts';
import { initMetrics } from './metrics.ts';
import { type OutboxRelay, startOutboxRelay } from './outbox.ts';
import { type MountOptions, mountSubscriptions, type Subscription } from './pubsub.ts';
import { type RunningServer, runService, serveGrpcService, serveService } from './server.ts';
import { sidecarReadiness } from './sidecar-readiness.ts';
import { type ServiceName, services } from './topology.ts';

type GrpcClientCtor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: object) => C;

/** What a service's `compose` step is handed. */
export interface ServiceContext<C extends BaseConfig> {
  name: string;
  config: C;
  logger: Logger;
  /** The service's sidecar client; its deadline is the definition's `sidecarTimeoutMs`. */
  sidecar: Sidecar;
  /** Present when the definition declares `postgres`; migrated already. */
  pool: pg.Pool;
  /** Present when the topology gives the app the fault-flag store; followed until shutdown. */
  faults: FaultFlags;
  /**
   * Verifies users' access tokens (JWKS through the sidecar) unless the start options gave
   * one; `onRejection` is told why each refused token was refused.
   */
  accessTokens(onRejection?: (reason: string) => void): AccessTokenVerifier;
  /** The same sidecar with a deadline of its own (fail-open caches, counters, output bindings). */
  sidecarWith(timeoutMs: number): Sidecar;
  /** A gRPC client of another app, through this service's sidecar. */
  grpcClient<T>(Ctor: GrpcClientCtor<T>, appId: string): T;
}

export interface GrpcService {
  definition: grpc.ServiceDefinition;
  // biome-ignore lint/suspicious/noExplicitAny: each service types its own handlers; this is the erased form
  handlers: Record<string, (call: any) => Promise<unknown>>;
}

/** What `compose` hands back: the parts of the service the kit mounts, starts and stops. */
export interface ServiceParts<H> {
  /** Run before the routes, on every request (after request ids and error rendering). */
  middleware?: Middleware[];
  routes?: (router: Router) => void;
  /** Answers what no route matched, instead of the kit's 404. */
  fallback?: Middleware;
  /**
   * Mounted with `GET /dapr/subscribe` whenever given, even empty: Dapr asks every app
   * with app-protocol http for its subscriptions at start.
   */
  subscriptions?: Subscription[];
  subscriptionOptions?: MountOptions;
  grpc?: GrpcService[];
  /** Asked before each gRPC call: true answers UNAVAILABLE (a fault flag). */
  grpcUnavailable?: () => boolean;
  /** Checks besides the database and the sidecar, which the kit adds itself. */
  readiness?: ReadinessCheck[];
  /** Run when shutdown starts, right after readiness turns to draining. */
  onDrain?: () => void;
  /** The service's own stops (loops, consumers, connections), run in this order. */
  shutdown?: Array<() => Promise<void> | void>;
  /** What a test gets next to the running server (a repository, a flush). */
  handle?: H;
}

export interface ServiceDefinition<S extends z.ZodObject, H, D> {
  /** The app id; the topology entry of that name gives app protocol and components. */
  name: string;
  config: S;
  /**
   * A PostgreSQL database at `DATABASE_URL` (settings from `postgresConfigShape`), migrated
   * before `compose`, ended last.
   */
  postgres?: { migrations: readonly Migration[] };
  /** Deadline of the default sidecar client, when not the kit's. */
  sidecarTimeoutMs?: (config: z.infer<S>) => number;
  /** When not the configuration's BODY_LIMIT for every route. */
  bodyLimit?: (config: z.infer<S>) => AppOptions['bodyLimit'];
  /** Named in a 503 when a route names nothing more precise. */
  capability?: string;
  /**
   * Reached from outside the mesh (the ingress), not through its sidecar: no app-token
   * check; its routes guard themselves with access tokens.
   */
  ingress?: boolean;
  /**
   * The service's clients of the world outside it (other services, stores reached
   * through the sidecar); a test replaces any of them with `start(config, { dependencies })`.
   */
  dependencies?: (context: ServiceContext<z.infer<S> & BaseConfig>) => D;
  compose(context: ServiceContext<z.infer<S> & BaseConfig> & { deps: D }): Promise<ServiceParts<H>> | ServiceParts<H>;
}

export interface StartOptions<D> {
  /** Off in tests that start several services in one process. */
  handleSignals?: boolean;
  /** Replaces the verifier of users' tokens (tests sign with keys of their own). */
  accessTokens?: AccessTokenVerifier;
  /** Replaces some of the definition's dependencies (scripted callees in integration tests). */
  dependencies?: Partial<D>;
}

export type RunningService<H> = RunningServer & H & { outbox?: OutboxRelay };

export interface DefinedService<S extends z.ZodObject, H, D> {
  name: string;
  /** Reads the configuration from the environment and serves until a signal. */
  main(): Promise<void>;
  loadConfig(source?: NodeJS.ProcessEnv): z.infer<S> & BaseConfig;
  start(config: z.infer<S> & BaseConfig, options?: StartOptions<D>): Promise<RunningService<H>>;
}

function missing(what: string, declaration: string): never {
  throw new Error(`${what} is not available: the service does not declare ${declaration}`);
}

export function defineService<S extends z.ZodObject, H = object, D = object>(
  definition: ServiceDefinition<S, H, D>,
): DefinedService<S, H, D> {
  type C = z.infer<S> & BaseConfig;
  const { name } = definition;
  const spec = services.find((s) => s.name === name);
  if (definition.postgres && !('DATABASE_URL' in definition.config.shape && 'DB_POOL_MAX' in definition.config.shape)) {
    throw new Error(`${name} declares postgres, but its configuration lacks postgresConfigShape()`);
  }
  const relaysOutbox = Boolean(definition.postgres && spec?.publishes.length);
  const followsFlags = Boolean(spec?.components.includes(FLAG_STORE));

  async function start(config: C, options: StartOptions<D> = {}): Promise<RunningService<H>> {
    const logger = createLogger(name, config.LOG_LEVEL);
    initMetrics(name);
    const database = config as C & PostgresConfig;
    const pool = definition.postgres
      ? await openDatabase(database.DATABASE_URL, definition.postgres.migrations, logger, database.DB_POOL_MAX)
      : undefined;
    const steps: Array<() => Promise<void> | void> = [];
    let poolEnds = false;
    try {
      const daprApiToken = config.DAPR_API_TOKEN;
      const sidecarTimeoutMs = definition.sidecarTimeoutMs?.(config);
      const sidecar = new Sidecar({
        daprHttpPort: config.DAPR_HTTP_PORT,
        daprGrpcPort: config.DAPR_GRPC_PORT,
        daprApiToken,
        ...(sidecarTimeoutMs !== undefined && { timeoutMs: sidecarTimeoutMs }),
      });
      const faults = followsFlags ? await followFaultFlags({ service: name as ServiceName, sidecar, logger }) : undefined;
      if (faults) steps.push(() => faults.stop());
      steps.push(() => sidecar.close());
      const grpcTarget: SidecarTarget = { daprGrpcPort: config.DAPR_GRPC_PORT, daprApiToken };
      let verifier = options.accessTokens;

      const context: ServiceContext<C> = {
        name,
        config,
        logger,
        sidecar,
        get pool() {
          return pool ?? missing('a database pool', 'postgres');
        },
        get faults() {
          return faults?.flags ?? missing('fault flags', `the ${FLAG_STORE} component in the topology`);
        },
        accessTokens: (onRejection) => {
          verifier ??= accessTokenVerifierFromConfig(config as C & AccessTokenSettings, onRejection);
          return verifier;
        },
        sidecarWith: (timeoutMs) => sidecar.withTimeout(timeoutMs),
        grpcClient: (Ctor, appId) => sidecarGrpcClient(Ctor, appId, grpcTarget),
      };
      const deps = { ...definition.dependencies?.(context), ...options.dependencies } as D;
      const parts = await definition.compose(Object.assign(context, { deps }));
      steps.push(...(parts.shutdown ?? []));

      let probedBySidecar = false;
      const service = createApp({
        service: name,
        onSidecarProbe: () => {
          probedBySidecar = true;
        },
        logger,
        bodyLimit: definition.bodyLimit?.(config) ?? (config as C & { BODY_LIMIT?: string }).BODY_LIMIT,
        appToken: definition.ingress ? undefined : config.APP_API_TOKEN,
        ...(definition.capability && { capability: definition.capability }),
        readiness: [
          ...(pool ? [{ name: 'postgres', check: async () => void (await pool.query('SELECT 1')) }] : []),
          ...(parts.readiness ?? []),
          ...sidecarReadiness(sidecar, name, () => probedBySidecar),
        ],
      });
      for (const middleware of parts.middleware ?? []) service.app.use(middleware);
      parts.routes?.(service.router);
      if (parts.subscriptions) mountSubscriptions(service.router, parts.subscriptions, logger, parts.subscriptionOptions);

      const grpcServer = parts.grpc?.length
        ? createGrpcServer({
            logger,
            appToken: config.APP_API_TOKEN,
            ...(parts.grpcUnavailable && { unavailable: parts.grpcUnavailable }),
          })
        : undefined;
      for (const { definition: grpcDefinition, handlers } of parts.grpc ?? []) grpcServer?.addService(grpcDefinition, handlers);

      const outbox = relaysOutbox
        ? startOutboxRelay({ pool: pool ?? missing('an outbox', 'postgres'), publisher: sidecar, logger })
        : undefined;
      if (outbox) steps.push(() => outbox.stop());
      if (pool) {
        steps.push(() => pool.end());
        poolEnds = true;
      }

      const onDrain = () => {
        service.setDraining();
        parts.onDrain?.();
      };
      const serving = { logger, onDrain, onShutdown: steps, handleSignals: options.handleSignals };
      const app = finishApp(service);
      if (parts.fallback) app.use(parts.fallback);
      let server: RunningServer;
      if (spec?.appProtocol === 'grpc') {
        if (!grpcServer) throw new Error(`${name} has app protocol grpc but declares no gRPC service`);
        server = await serveGrpcService(app, grpcServer.server, config as C & { ADMIN_PORT: number }, serving);
      } else {
        server = await serveService(app, config, { ...serving, ...(grpcServer && { grpcServer: grpcServer.server }) });
      }
      return Object.assign(server, parts.handle ?? {}, outbox ? { outbox } : {}) as RunningService<H>;
    } catch (err) {
      // A failed start leaves nothing running behind it: loops, flag streams, the pool.
      for (const step of steps) await Promise.resolve(step()).catch(() => {});
      if (pool && !poolEnds) await pool.end().catch(() => {});
      throw err;
    }
  }

  const load = (source: NodeJS.ProcessEnv = process.env): C => loadConfig(definition.config, source) as C;
  return {
    name,
    loadConfig: load,
    start,
    main: () => runService(name, () => start(load())),
  };
}
