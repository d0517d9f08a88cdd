// Tracing starts before anything else is imported so its hooks see koa, pg and grpc-js.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('orders');
const { runService } = await import('@meshmart/kit');
const { loadOrdersConfig } = await import('./config.ts');
const { startOrders } = await import('./service.ts');
await runService('orders', () => startOrders(loadOrdersConfig()));
