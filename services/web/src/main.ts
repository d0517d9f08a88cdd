// Tracing starts before anything else is imported so its hooks see http and koa.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('web');
const { runService } = await import('@meshmart/kit');
const { loadWebConfig } = await import('./config.ts');
const { startWeb } = await import('./server.ts');
await runService('web', () => startWeb(loadWebConfig()));
