// Tracing starts before anything else is imported so its hooks see http and koa.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('gateway');
const { runService } = await import('@meshmart/kit');
const { loadGatewayConfig } = await import('./config.ts');
const { startGateway } = await import('./server.ts');
await runService('gateway', () => startGateway(loadGatewayConfig()));
