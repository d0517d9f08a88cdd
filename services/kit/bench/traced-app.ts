/**
 * One kit app, started by tracing-cost.ts in a process of its own: two routes, one
 * answering from memory and one calling a stand-in sidecar (UPSTREAM_URL) over the kit's
 * sidecar client. Tracing follows the OTEL_* environment the driver sets.
 */
import { startTracing } from '../src/tracing.ts';

// As a service's launch does: the instrumentations hook node:http and the rest only if
// tracing starts before they are first imported.
await startTracing('tracing-cost');
const { createApp, finishApp } = await import('../src/app.ts');
const { createLogger } = await import('../src/logging.ts');
const { serve } = await import('../src/server.ts');
const { sidecarExchange } = await import('../src/sidecar-http.ts');
const logger = createLogger('tracing-cost', 'warn');
const service = createApp({ service: 'tracing-cost', logger });
service.router.get('/profile/:id', (ctx) => {
  ctx.body = { id: ctx.params.id, email: 'someone@meshmart.test', displayName: 'Someone', roles: ['customer'] };
});
service.router.get('/through-sidecar/:id', async (ctx) => {
  const answer = await sidecarExchange(`${process.env.UPSTREAM_URL}/v1.0/invoke/users/method/me`, {
    method: 'GET',
    headers: { 'dapr-app-id': 'users' },
    timeoutMs: 5000,
  });
  ctx.body = JSON.parse(answer.text);
});
const server = await serve(finishApp(service), { port: 0, host: '127.0.0.1', logger });
process.stdout.write(`listening ${server.port}\n`);
