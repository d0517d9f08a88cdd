/**
 * FerretDB, the local MongoDB, on a PostgreSQL server of its own. Its SQLite handler, the
 * earlier choice, sends a filter to SQLite only when it is `_id` alone, so every other
 * find or update of catalog's decoded the whole collection in Go, at a cost that grew
 * with the catalog; the PostgreSQL handler also sends `_id` with further conditions
 * (docs/performance.md, *FerretDB's store*). A server apart from the services' one keeps
 * the cluster's failure domains: stopping the services' PostgreSQL leaves catalog up, as
 * it leaves MongoDB up there.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mongoUrl, postgresUrl } from '@meshmart/kit/deployment/local-target';
import { services } from '@meshmart/kit/topology';
import { infraDir, toolsBin } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import type { InfraComponent } from './component.ts';
import { moveSqliteStore } from './ferretdb-sqlite-move.ts';
import { createDatabases, startPostgresServer, untilAccepting } from './postgres.ts';

export { mongoUrl };

/** The database in FerretDB's server that holds every MongoDB database (one schema each). */
const STORE_DATABASE = 'ferretdb';

const ferretdbStoreUrl = (database = STORE_DATABASE): string => postgresUrl(database, infraPorts.ferretdbPostgres);

export const ferretdb: InfraComponent = {
  name: 'ferretdb',
  port: infraPorts.ferretdb,
  alsoOn: [infraPorts.ferretdbPostgres],
  async start() {
    const binary = path.join(toolsBin, 'ferretdb');
    if (!existsSync(binary)) throw new Error(`${binary} is missing; run npm run setup`);
    const dir = infraDir('ferretdb');
    await mkdir(dir, { recursive: true });
    const store = await startPostgresServer({
      name: 'ferretdb-postgres',
      dataDir: path.join(dir, 'postgres'),
      port: infraPorts.ferretdbPostgres,
      settings: ['max_connections=60', 'shared_buffers=16MB'],
    });
    try {
      await untilAccepting(ferretdbStoreUrl('postgres'), store);
      await createDatabases(ferretdbStoreUrl('postgres'), [STORE_DATABASE]);
      const server = startChild({
        name: 'ferretdb',
        command: binary,
        args: [
          '--handler=postgresql',
          `--postgresql-url=${ferretdbStoreUrl()}`,
          `--state-dir=${dir}`,
          `--listen-addr=127.0.0.1:${infraPorts.ferretdb}`,
          `--debug-addr=127.0.0.1:${infraPorts.ferretdbDebug}`,
          '--telemetry=disable',
          '--log-level=warn',
        ],
        output: 'file',
        outlive: true,
      });
      return [store, server];
    } catch (err) {
      await store.stop();
      throw err;
    }
  },
  async afterReady() {
    const sqliteDir = path.join(infraDir('ferretdb'), 'sqlite');
    const moved = await moveSqliteStore({
      sqliteDir,
      ferretdbBinary: path.join(toolsBin, 'ferretdb'),
      targetUrl: mongoUrl(''),
      databases: services.flatMap((s) => (s.mongoDatabase ? [s.mongoDatabase] : [])),
    }).catch((err: unknown) => {
      throw new Error(
        `moving FerretDB's old SQLite store (${sqliteDir}) failed; the next start tries again, ` +
          `and moving that folder aside starts without it: ${String(err)}`,
      );
    });
    if (moved) {
      process.stdout.write(
        `  moved ${moved.databases.join(', ')} from FerretDB's SQLite store to its PostgreSQL (${moved.inserted} documents inserted); ` +
          `the old files are kept in ${moved.keptIn}\n`,
      );
    }
  },
};
