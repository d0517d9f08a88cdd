/**
 * Moves what an earlier stack kept in FerretDB's SQLite store into the running FerretDB
 * (now on PostgreSQL), so a change of store loses nothing made locally. The old files
 * are served for the copy by the same FerretDB binary with its SQLite handler, on a free
 * loopback port, and kept afterwards under a new name. A document is inserted only where
 * its `_id` is missing, so a move cut short runs again at the next start and adds what is
 * missing; a document catalog changed meanwhile keeps its change, one it deleted
 * meanwhile comes back. (Not upserts: FerretDB v1 holds a PostgreSQL connection per
 * statement of an update command until the command ends, so a batch of 500 replacements
 * waited forever on a server of 60 connections.)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Document, MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import { freePort } from '../ports.ts';
import { startChild } from '../processes.ts';
import { isPortOpen, waitForAll } from '../readiness.ts';

export interface SqliteMove {
  databases: string[];
  /** Inserted now; the others of the old store were there already. */
  inserted: number;
  /** Where the old files are now. */
  keptIn: string;
}

export interface SqliteMoveOptions {
  /** The SQLite handler's folder: one `<database>.sqlite` file per database. */
  sqliteDir: string;
  ferretdbBinary: string;
  /** The running FerretDB. */
  targetUrl: string;
  /** The databases to move; others in the folder (tests' scratch databases) stay behind. */
  databases: string[];
}

const NAMESPACE_EXISTS = 48;
const DUPLICATE_KEY = 11000;
const BATCH = 500;

/** FerretDB with its SQLite handler on `sqliteDir`, on a free loopback port, until `stop`. */
export async function serveSqliteStore(
  ferretdbBinary: string,
  sqliteDir: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'meshmart-ferretdb-sqlite-'));
  const server = startChild({
    name: 'ferretdb-sqlite',
    command: ferretdbBinary,
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${sqliteDir}/`,
      `--state-dir=${stateDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    output: 'file',
  });
  const stop = async () => {
    await server.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    await waitForAll([{ label: `FerretDB on ${sqliteDir}`, ready: () => isPortOpen(port), child: server }], {
      title: 'ferretdb-sqlite',
      timeoutMs: 30_000,
      quiet: true,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `mongodb://127.0.0.1:${port}/`, stop };
}

export async function moveSqliteStore(options: SqliteMoveOptions): Promise<SqliteMove | undefined> {
  if (!existsSync(options.sqliteDir)) return undefined;
  const files = await readdir(options.sqliteDir);
  const databases = options.databases.filter((db) => files.includes(`${db}.sqlite`));
  if (databases.length === 0) return undefined;
  const old = await serveSqliteStore(options.ferretdbBinary, options.sqliteDir);
  const source = new MongoClient(old.url, { serverSelectionTimeoutMS: 10_000 });
  const target = new MongoClient(options.targetUrl, { serverSelectionTimeoutMS: 10_000 });
  let inserted = 0;
  try {
    for (const db of databases) {
      process.stdout.write(`  moving ${db} from FerretDB's SQLite store … `);
      const copied = await copyDatabase(source, target, db);
      process.stdout.write(`${copied.inserted} documents inserted, ${copied.present} there already\n`);
      inserted += copied.inserted;
    }
  } finally {
    await source.close();
    await target.close();
    await old.stop();
  }
  const keptIn = existsSync(`${options.sqliteDir}.moved`)
    ? `${options.sqliteDir}.moved-${Date.now()}`
    : `${options.sqliteDir}.moved`;
  try {
    await rename(options.sqliteDir, keptIn);
  } catch (err) {
    // Another start moved the same store at the same time; the inserts allow that.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { databases, inserted, keptIn };
}

async function copyDatabase(
  source: MongoClient,
  target: MongoClient,
  name: string,
): Promise<{ inserted: number; present: number }> {
  let inserted = 0;
  let present = 0;
  for (const { name: collection, type } of await source.db(name).listCollections().toArray()) {
    if (type !== 'collection' || collection.startsWith('system.')) continue;
    const from = source.db(name).collection(collection);
    const to = target.db(name).collection(collection);
    await target
      .db(name)
      .createCollection(collection)
      .catch((err: unknown) => {
        if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
      });
    for (const { key, name: indexName, v: _version, ns: _ns, ...indexOptions } of await from.indexes()) {
      if (indexName !== '_id_') await to.createIndex(key, { ...indexOptions, name: indexName });
    }
    let batch: Document[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const added = await to.insertMany(batch, { ordered: false }).then(
        (result) => result.insertedCount,
        (err: unknown) => {
          const duplicates = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
          if (duplicates.length === 0 || duplicates.some((e) => e.code !== DUPLICATE_KEY)) throw err;
          return batch.length - duplicates.length;
        },
      );
      inserted += added;
      present += batch.length - added;
      batch = [];
    };
    for await (const doc of from.find()) {
      batch.push(doc);
      if (batch.length === BATCH) await flush();
    }
    await flush();
  }
  return { inserted, present };
}
