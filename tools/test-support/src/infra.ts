import type { RunningServer } from '@meshmart/kit';
import { createScratchDatabase, type Infra, type InfraName, type ScratchDatabase, startInfra } from '@meshmart/stack';

/**
 * For an integration test file: call at module level, then `start()` in a `before`.
 * What a file starts stays up for the rest of the run (later files reuse it) and is
 * stopped when the whole run ends, so a test run leaves no server behind.
 */
export function infraForThisRun(): { start(only: InfraName[]): Promise<Infra> } {
  const started: Infra[] = [];
  after(async () => {
    for (const infra of started.reverse()) await infra.stop();
  });
  return {
    async start(only) {
      const infra = await startInfra({ only, quiet: true });
      started.push(infra);
      return infra;
    },
  };
}

export interface ServiceOnScratchDatabase {
  db: ScratchDatabase;
  server: RunningServer;
  /** http://127.0.0.1:<port> of the started server. */
  base: string;
  /** Closes the server, then drops the database. */
  stop(): Promise<void>;
}

/**
 * A service started in-process on a new PostgreSQL database of its own, for an
 * integration test file: `start` gets the environment every such test shares (its
 * database, no sidecar on port 9, quiet logs) to add its own to, and starts the service
 * on any free port.
 */
export async function startOnScratchDatabase(
  infra: ReturnType<typeof infraForThisRun>,
  databasePrefix: string,
  start: (env: Record<string, string>) => Promise<RunningServer>,
): Promise<ServiceOnScratchDatabase> {
  await infra.start(['postgres']);
  const db = await createScratchDatabase(databasePrefix);
  try {
    // No sidecar runs in these tests: calls that need one fail, events stay in the outbox.
    const server = await start({ PORT: '1', DATABASE_URL: db.url, DAPR_HTTP_PORT: '9', LOG_LEVEL: 'error' });
    return {
      db,
      server,
      base: `http://127.0.0.1:${server.port}`,
      stop: async () => {
        await server.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
