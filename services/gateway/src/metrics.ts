/** Gateway business counters (names listed in docs/CONTRACTS.md). */
import { counter } from '@meshmart/kit';

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
