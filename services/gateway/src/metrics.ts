/** Gateway business counters (names listed in docs/CONTRACTS.md). */
import { counter, gauge } from '@meshmart/kit';

export const rateLimited = counter('gateway_rate_limited_total', 'Requests refused with 429, by route template', ['route']);

export const rateLimitErrors = counter(
  'gateway_rate_limit_errors_total',
  'Requests let through unchecked because the rate-limit state store failed',
);

export const tokenRejections = counter(
  'gateway_token_rejections_total',
  'Access tokens refused at the edge, by reason (keys_unavailable answers 503, the rest 401)',
  ['reason'],
);

export const redirects = counter(
  'gateway_redirects_total',
  'Answers of GET /s/:code by outcome: redirected, not_found (also malformed codes), gone, error',
  ['outcome'],
);

export const sseStreamsOpen = gauge('gateway_sse_streams_open', 'Server-sent event streams open now, by route template', [
  'route',
]);
