// Tracing starts before anything else is imported so its hooks see koa and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('payments');
const { runService } = await import('@meshmart/kit');
const { loadPaymentsConfig } = await import('./config.ts');
const { startPayments } = await import('./service.ts');
await runService('payments', () => startPayments(loadPaymentsConfig()));
