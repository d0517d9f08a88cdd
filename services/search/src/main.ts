// Tracing starts before anything else is imported so its hooks see koa and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('search');
const { runService } = await import('@meshmart/kit');
const { loadSearchConfig } = await import('./config.ts');
const { startSearch } = await import('./service.ts');
await runService('search', () => startSearch(loadSearchConfig()));
