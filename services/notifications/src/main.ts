// Tracing starts before anything else is imported so its hooks see koa and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('notifications');
const { runService } = await import('@meshmart/kit');
const { loadNotificationsConfig } = await import('./config.ts');
const { startNotifications } = await import('./service.ts');
await runService('notifications', () => startNotifications(loadNotificationsConfig()));
