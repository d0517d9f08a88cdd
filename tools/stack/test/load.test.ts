import assert from 'node:assert/strict';
import { summarize } from '../src/load.ts';
import { journeys, loadScript, parseDuration } from '../src/load-script.ts';

describe('npm run load', () => {
  it('reads --duration as seconds, minutes or hours and refuses anything else', () => {
    assert.deepEqual(['45', '30s', '2m', '1h'].map(parseDuration), [45, 30, 120, 3600]);
    assert.throws(() => parseDuration('2 minutes'), /expected e\.g\. 30s/);
  });

  it('offers every journey at one fixed arrival rate for the whole duration', () => {
    const script = loadScript({ target: 'http://127.0.0.1:3000', rate: 50, durationSeconds: 120 }) as {
      config: { phases: unknown[] };
      scenarios: Array<{ name: string; weight: number }>;
    };
    assert.deepEqual(script.config.phases, [{ name: 'steady', duration: 120, arrivalRate: 50 }]);
    assert.deepEqual(
      script.scenarios.map((s) => s.name),
      [...journeys],
    );
    assert.ok(script.scenarios.every((s) => s.weight > 0));
  });

  it('counts 4xx/5xx answers and failed connections as errors, redirects not', () => {
    const summary = summarize({
      aggregate: {
        counters: {
          'http.requests': 10,
          'http.codes.200': 6,
          'http.codes.302': 2,
          'http.codes.429': 1,
          'errors.ECONNREFUSED': 1,
        },
        summaries: { 'http.response_time': { p95: 12.5 } },
      },
    });
    assert.deepEqual(summary, {
      requests: 10,
      p95: 12.5,
      errors: 2,
      outcomes: { '200': 6, '302': 2, '429': 1, ECONNREFUSED: 1 },
    });
  });
});
