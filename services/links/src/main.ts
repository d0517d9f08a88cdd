// Tracing starts before anything else is imported so its hooks see grpc-js and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('links');
const { runService } = await import('@meshmart/kit');
const { loadLinksConfig } = await import('./config.ts');
const { startLinks } = await import('./service.ts');
await runService('links', () => startLinks(loadLinksConfig()));
