// Tracing starts before anything else is imported so its hooks see grpc-js, koa and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('qr');
const { runService } = await import('@meshmart/kit');
const { loadQrConfig } = await import('./config.ts');
const { startQr } = await import('./service.ts');
await runService('qr', () => startQr(loadQrConfig()));
