import assert from 'node:assert/strict';
import { services } from '@meshmart/kit/topology';
import { parse } from 'yaml';
import { probePort, servicePorts } from '../src/ports.ts';
import { prometheusConfig, renderPrometheusConfig } from '../src/prometheus-config.ts';

const targetsOf = (job: string) =>
  (prometheusConfig().scrape_configs.find((c) => c.job_name === job)?.static_configs ?? []).map((sc) => ({
    target: sc.targets[0],
    service: sc.labels.service,
  }));

describe('generated Prometheus config', () => {
  it("scrapes every service's /metrics where it serves it", () => {
    assert.deepEqual(
      targetsOf('meshmart-apps'),
      services.map((s) => ({ target: `127.0.0.1:${probePort(s.name)}`, service: s.name })),
    );
  });

  it("scrapes every sidecar's metrics port", () => {
    assert.deepEqual(
      targetsOf('dapr-sidecars'),
      services.map((s) => ({ target: `127.0.0.1:${servicePorts(s.name).daprMetrics}`, service: s.name })),
    );
  });

  it('scrapes every 5 seconds', () => {
    assert.equal(prometheusConfig().global.scrape_interval, '5s');
  });

  it('renders YAML that parses back to the same config', () => {
    assert.deepEqual(parse(renderPrometheusConfig()), prometheusConfig());
  });
});
