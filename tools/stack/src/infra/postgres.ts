import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgresUrl } from '@meshmart/kit/deployment/local-target';
import { services } from '@meshmart/kit/topology';
import pg from 'pg';
import { localCredentials } from '../credentials.ts';
import { infraDir } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { type Child, startChild } from '../processes.ts';
import { waitForAll } from '../readiness.ts';
import type { InfraComponent } from './component.ts';
import { asServiceUser, handOver } from './run-as.ts';

const run = promisify(execFile);
const SYSTEM_USER = 'postgres';

export { postgresUrl };

/** Databases owned by services, from the topology. */
function serviceDatabases(): string[] {
  return services.flatMap((s) => (s.postgresDatabase ? [s.postgresDatabase] : []));
}

async function postgresBin(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [])).map(Number).filter(Number.isFinite);
  const newest = Math.max(...versions);
  if (!Number.isFinite(newest)) throw new Error(`PostgreSQL is not installed (${root} is empty); run npm run setup`);
  return path.join(root, String(newest), 'bin');
}

/** initdb once: the bootstrap superuser is the services' role, password auth on TCP. */
async function initialise(bin: string, dataDir: string): Promise<void> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { mode: 0o700 });
  const pwFile = `${dataDir}.pw`;
  await writeFile(pwFile, `${localCredentials.postgres.password}\n`, { mode: 0o600 });
  handOver(SYSTEM_USER, dataDir);
  handOver(SYSTEM_USER, pwFile);
  try {
    const initdb = asServiceUser(SYSTEM_USER, path.join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      localCredentials.postgres.user,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
    ]);
    await run(initdb.command, initdb.args);
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(pwFile, { force: true });
  }
}

/**
 * One PostgreSQL server of the stack's own under `dataDir` (initdb once), loopback only,
 * as the services' role. Besides the services' server, FerretDB keeps its documents in one.
 */
export async function startPostgresServer(options: {
  name: string;
  dataDir: string;
  port: number;
  /** `name=value` settings for this server. */
  settings: string[];
}): Promise<Child> {
  const bin = await postgresBin();
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) await initialise(bin, options.dataDir);
  const settings = [
    'listen_addresses=127.0.0.1',
    // No Unix socket: the system instance owns /var/run/postgresql.
    'unix_socket_directories=',
    // Throwaway local data (`stack reset` wipes it): trade crash safety for speed.
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
    ...options.settings,
  ];
  const server = asServiceUser(SYSTEM_USER, path.join(bin, 'postgres'), [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    ...settings.flatMap((setting) => ['-c', setting]),
  ]);
  return startChild({ name: options.name, ...server, output: 'file', outlive: true });
}

export const postgres: InfraComponent = {
  name: 'postgres',
  port: infraPorts.postgres,
  async start() {
    const dataDir = path.join(infraDir('postgres'), 'data');
    return [
      await startPostgresServer({ name: 'postgres', dataDir, port: infraPorts.postgres, settings: ['max_connections=300'] }),
    ];
  },
  async afterReady() {
    await createDatabases(postgresUrl('postgres'), serviceDatabases());
  },
};

/** Connects as the services' role to the maintenance database. */
export function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(postgresUrl('postgres'), use);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Until the server at `url` takes a connection: its port opens while it still recovers,
 * and a connection then is refused as "starting up".
 */
export function untilAccepting(url: string, server: Child, timeoutMs = 60_000): Promise<void> {
  const accepts = () => withClient(url, async () => true).catch(() => false);
  return waitForAll([{ label: server.spec.name, ready: accepts, child: server }], {
    title: server.spec.name,
    timeoutMs,
    quiet: true,
  });
}

/** Creates those of `names` the server at `maintenanceUrl` does not have yet. */
export async function createDatabases(maintenanceUrl: string, names: string[]): Promise<void> {
  await withClient(maintenanceUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
    const existing = new Set(rows.map((r) => r.datname));
    for (const name of names) {
      if (!existing.has(name)) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    }
  });
}
