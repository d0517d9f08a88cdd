/**
 * A service's entry point: tracing starts before the service's modules load, so its hooks
 * see koa, pg, grpc-js and mongoose; then the declared service is read and served.
 * Imports nothing else of the kit statically for that reason.
 */
import { startTracing } from './tracing.ts';

export async function launch(name: string, load: () => Promise<{ service: { main(): Promise<void> } }>): Promise<void> {
  await startTracing(name);
  const { service } = await load();
  await service.main();
}
