import { type Infra, type InfraName, startInfra } from '@meshmart/stack';

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
