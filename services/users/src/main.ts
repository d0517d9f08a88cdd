// Tracing starts before anything else is imported so its hooks see koa, pg and grpc-js.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('users');
const { runService } = await import('@meshmart/kit');
const { loadUsersConfig } = await import('./config.ts');
const { startUsers } = await import('./service.ts');
await runService('users', () => startUsers(loadUsersConfig()));
