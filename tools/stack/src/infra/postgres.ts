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
import { startChild } from '../processes.ts';
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

export const postgres: InfraComponent = {
  name: 'postgres',
  port: infraPorts.postgres,
  async start() {
    const bin = await postgresBin();
    const dataDir = path.join(infraDir('postgres'), 'data');
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir);
    const server = asServiceUser(SYSTEM_USER, path.join(bin, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(infraPorts.postgres),
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: the system instance owns /var/run/postgresql.
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      // Throwaway local data (`stack reset` wipes it): trade crash safety for speed.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ]);
    return [startChild({ name: 'postgres', ...server, output: 'file', outlive: true })];
  },
  async afterReady() {
    await createDatabases(serviceDatabases());
  },
};

/** Connects as the services' role to the maintenance database. */
export async function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl('postgres') });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function createDatabases(names: string[]): Promise<void> {
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
    const existing = new Set(rows.map((r) => r.datname));
    for (const name of names) {
      if (!existing.has(name)) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    }
  });
}
