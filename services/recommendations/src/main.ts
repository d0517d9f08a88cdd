// Tracing starts before anything else is imported so its hooks see koa, grpc-js and pg.
import { startTracing } from '@meshmart/kit/tracing';

await startTracing('recommendations');
const { runService } = await import('@meshmart/kit');
const { loadRecommendationsConfig } = await import('./config.ts');
const { startRecommendations } = await import('./service.ts');
await runService('recommendations', () => startRecommendations(loadRecommendationsConfig()));
