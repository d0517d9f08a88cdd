/**
 * Typed configuration from the environment. A service declares a zod object of its
 * settings; a missing or bad value stops it at start with every offending variable
 * named, instead of failing later on first use.
 */
import { z } from 'zod';
import { services } from './topology.ts';

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // An empty variable means "not set", as in most shells' `VAR= cmd`.
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const shown = input[name] === undefined ? 'not set' : `got ${JSON.stringify(input[name])}`;
        return `${name}: ${issue.message} (${shown})`;
      }),
    );
  }
  return result.data;
}

/** Environment field builders with the coercions every service needs. */
export const env = {
  port: (fallback?: number) => {
    const s = z.coerce.number().int().min(1).max(65535);
    return fallback === undefined ? s : s.default(fallback);
  },
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  optionalString: () => z.string().min(1).optional(),
  url: (protocols: string[], fallback?: string) => {
    const s = z
      .string()
      .url()
      .refine((v) => protocols.includes(new URL(v).protocol.replace(/:$/, '')), {
        message: `must be a ${protocols.join(' or ')} URL`,
      });
    return fallback === undefined ? s : s.default(fallback);
  },
  optionalUrl: (protocols: string[]) =>
    z
      .string()
      .url()
      .refine((v) => protocols.includes(new URL(v).protocol.replace(/:$/, '')), {
        message: `must be a ${protocols.join(' or ')} URL`,
      })
      .optional(),
  logLevel: () => z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  /** Byte sizes such as `64kb` or `1mb`, kept as the string the body parser understands. */
  size: (fallback: string) =>
    z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 1mb')
      .default(fallback),
};

/** Settings every service shares: ports, Dapr tokens, logging. */
export const baseConfigShape = {
  PORT: env.port(),
  /** Interface to listen on: all of them in a pod, loopback on a laptop. */
  BIND_HOST: env.string('0.0.0.0'),
  DAPR_HTTP_PORT: env.port(3500),
  DAPR_GRPC_PORT: env.port(50001),
  DAPR_API_TOKEN: env.optionalString(),
  APP_API_TOKEN: env.optionalString(),
  REQUIRE_DAPR_TOKENS: env.bool(false),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_GRACE_MS: env.int(10_000, 0, 120_000),
};

/**
 * The ports the topology gives the app, as defaults for a start outside the local stack or
 * the cluster. A service the kit's topology does not list (yet) must be given PORT.
 */
function topologyPorts(name: string) {
  const spec = services.find((s) => s.name === name);
  return {
    PORT: env.port(spec?.port),
    /** Only apps whose app port speaks gRPC have one; HTTP apps serve probes and metrics on PORT. */
    ADMIN_PORT: spec?.adminPort === undefined ? env.port().optional() : env.port(spec.adminPort),
  };
}

/**
 * The PostgreSQL database a service owns, and how many connections its pool may hold at
 * once: more for apps that take bursts of concurrent deliveries or clicks.
 */
export function postgresConfigShape(poolMax = 10) {
  return {
    DATABASE_URL: env.url(['postgres', 'postgresql']),
    DB_POOL_MAX: env.int(poolMax, 2, 200),
  };
}

export type PostgresConfig = z.infer<z.ZodObject<ReturnType<typeof postgresConfigShape>>>;

/**
 * A service's settings: the shared ones, its ports from the topology, plus its own. Dapr
 * tokens become mandatory when REQUIRE_DAPR_TOKENS is on, so a deployment cannot silently
 * run with an open sidecar hop.
 */
export function serviceConfig<T extends z.ZodRawShape>(name: string, shape: T) {
  return z.object({ ...baseConfigShape, ...topologyPorts(name), ...shape }).superRefine((parsed, ctx) => {
    const c = parsed as Record<string, unknown>;
    if (!c.REQUIRE_DAPR_TOKENS) return;
    for (const key of ['DAPR_API_TOKEN', 'APP_API_TOKEN'] as const) {
      if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when REQUIRE_DAPR_TOKENS=true' });
    }
  });
}

export type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;
