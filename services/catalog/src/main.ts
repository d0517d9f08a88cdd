// Tracing starts before anything else is imported so its hooks see koa and mongoose.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('catalog');
const { runService } = await import('@meshmart/kit');
const { loadCatalogConfig } = await import('./config.ts');
const { startCatalog } = await import('./service.ts');
await runService('catalog', () => startCatalog(loadCatalogConfig()));
