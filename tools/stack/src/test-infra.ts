/** Connection details and scratch databases for tests and benchmarks (`startInfra()` first). */
import { randomBytes } from 'node:crypto';
import { localOtlpHttpEndpoint } from '@meshmart/kit/deployment/local-target';
import pg from 'pg';
import { localCredentials } from './credentials.ts';
import { mongoUrl } from './infra/ferretdb.ts';
import { jaegerUrl } from './infra/jaeger.ts';
import { postgresUrl, withAdminClient } from './infra/postgres.ts';
import { prometheusUrl } from './infra/prometheus.ts';
import { rabbitmqctl, rabbitmqUrl } from './infra/rabbitmq.ts';
import { redisUrl } from './infra/redis.ts';

export const infraUrls = {
  postgres: postgresUrl,
  mongo: mongoUrl,
  redis: redisUrl,
  rabbitmq: rabbitmqUrl(),
  otlpHttp: localOtlpHttpEndpoint,
  jaeger: jaegerUrl,
  prometheus: prometheusUrl,
};

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it, closing any connection a test left open. */
  drop(): Promise<void>;
}

const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** A new, empty PostgreSQL database with a unique name. */
export async function createScratchDatabase(prefix = 'scratch'): Promise<ScratchDatabase> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) throw new Error(`bad database prefix ${prefix}`);
  const name = uniqueName(prefix);
  await withAdminClient((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  return {
    name,
    url: postgresUrl(name),
    drop: () =>
      withAdminClient(async (client) => {
        await closingConnectionsGone(client, name);
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}

/**
 * pg's `Pool.end()` resolves once it has asked its connections to close, before their
 * backends have gone. A forced drop in that moment sends those connections "terminating
 * connection due to administrator command", which a pool without an error listener throws
 * as an uncaught exception into whatever test runs next. Connections a test left open are
 * still closed by the drop, after this short wait.
 */
async function closingConnectionsGone(client: pg.Client, database: string, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    if (rows[0]?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Otherwise every drop after a leak would cost these seconds with nothing saying why.
  console.warn(`scratch database ${database}: connections still open ${withinMs} ms after the test; a pool was not ended`);
}

/**
 * A RabbitMQ virtual host of its own, so a test's exchanges and queues meet none of the
 * stack's (whose queues outlive a run) and go when it is deleted.
 */
export async function createScratchVhost(prefix = 'scratch'): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  const { user } = localCredentials.rabbitmq;
  await rabbitmqctl(['add_vhost', name]);
  await rabbitmqctl(['set_permissions', '-p', name, user, '.*', '.*', '.*']);
  return {
    name,
    url: `${rabbitmqUrl()}/${encodeURIComponent(name)}`,
    drop: () => rabbitmqctl(['delete_vhost', name]).then(() => undefined),
  };
}

/** A MongoDB URL for a database nobody has used; FerretDB creates it on first write. */
export function scratchMongoUrl(prefix = 'scratch'): string {
  return mongoUrl(uniqueName(prefix));
}
