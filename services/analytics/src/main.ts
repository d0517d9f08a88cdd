// Tracing starts before anything else is imported so its hooks see koa and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('analytics');
const { runService } = await import('@meshmart/kit');
const { loadAnalyticsConfig } = await import('./config.ts');
const { startAnalytics } = await import('./service.ts');
await runService('analytics', () => startAnalytics(loadAnalyticsConfig()));
