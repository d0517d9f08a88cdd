import assert from 'node:assert/strict';
import { daprClientMetrics, histogram, registry } from '../src/metrics.ts';

/** The value of one series in the registry's text exposition, undefined when absent. */
async function series(name: string, labels: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('kit metrics', () => {
  it('counts and times a call under the same labels, and nothing under others', async () => {
    const labels = 'target="metrics-test",operation="get",outcome="ok"';
    const before = (await series('dapr_client_requests_total', labels)) ?? 0;
    daprClientMetrics().record({ target: 'metrics-test', operation: 'get', outcome: 'ok' }, 0.003);
    assert.equal(await series('dapr_client_requests_total', labels), before + 1);
    assert.equal(await series('dapr_client_request_duration_seconds_count', labels), before + 1);
    assert.equal(await series('dapr_client_request_duration_seconds_bucket', `le="0.0025",${labels}`), 0);
    assert.equal(await series('dapr_client_request_duration_seconds_bucket', `le="0.005",${labels}`), before + 1);
    assert.equal(await series('dapr_client_requests_total', 'target="metrics-test",operation="get",outcome="error"'), undefined);
  });

  it('gives a histogram the buckets it is handed instead of the latency ones', async () => {
    const sizes = histogram('metrics_test_batch_size', 'a test histogram', [], [1, 10]);
    sizes.observe(4);
    const text = await registry.metrics();
    assert.match(text, /metrics_test_batch_size_bucket\{le="10"\} 1/);
    assert.doesNotMatch(text, /metrics_test_batch_size_bucket\{le="0.001"\}/);
  });
});
