// Tracing starts before anything else is imported so its hooks see koa, pg and grpc-js.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('inventory');
const { runService } = await import('@meshmart/kit');
const { loadInventoryConfig } = await import('./config.ts');
const { startInventory } = await import('./service.ts');
await runService('inventory', () => startInventory(loadInventoryConfig()));
