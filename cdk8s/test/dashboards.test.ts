import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allQueries, dashboards } from '../src/dashboards/definitions.ts';
import { envoyClusterStats, metricCatalog, serviceMetricsFromContracts } from '../src/dashboards/metric-catalog.ts';
import { metricNames } from '../src/dashboards/promql.ts';
import { generatedAssets } from '../src/generated-assets.ts';
import { contractsDoc, repoRoot } from '../src/repo-paths.ts';

const catalog = metricCatalog(readFileSync(contractsDoc, 'utf8'));
const known = new Set([...catalog.services, ...catalog.daprd, ...catalog.istio, ...catalog.envoy]);

describe('dashboards', () => {
  it('query only metric names the services, daprd, Istio and Envoy export', () => {
    const unknown = allQueries().flatMap((q) =>
      metricNames(q.expr)
        .filter((name) => !known.has(name))
        .map((name) => `${q.dashboard} / ${q.panel}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });

  it('every panel has at least one query and each query names a metric', () => {
    for (const q of allQueries()) assert.ok(metricNames(q.expr).length > 0, `${q.dashboard} / ${q.panel}`);
    for (const d of dashboards)
      assert.ok(
        d.rows.every((r) => r.panels.length > 0),
        d.file,
      );
  });

  it('cover services, business KPIs, Dapr sidecars and the mesh', () => {
    const prefixes = (file: string) =>
      new Set(
        allQueries()
          .filter((q) => q.dashboard === file)
          .flatMap((q) => metricNames(q.expr)),
      );
    assert.ok([...prefixes('service-overview.json')].some((m) => m.startsWith('http_server_')));
    assert.ok([...prefixes('business-kpis.json')].some((m) => m.startsWith('users_')));
    assert.ok([...prefixes('dapr-sidecars.json')].every((m) => m.startsWith('dapr_')));
    assert.ok([...prefixes('mesh.json')].every((m) => m.startsWith('istio_') || m.startsWith('envoy_')));
  });

  it('the committed dashboards, query list, metric catalogue and skaffold.yaml are up to date', () => {
    for (const [path, content] of generatedAssets()) {
      assert.equal(
        readFileSync(join(repoRoot, path), 'utf8'),
        content,
        `${path} is stale: run npm run assets -w @meshmart/cdk8s`,
      );
    }
  });

  it('Envoy stats on the dashboards are the ones the Istio profile exports', () => {
    const profile = readFileSync(join(repoRoot, 'istio/istio-operator.yaml'), 'utf8');
    for (const stat of envoyClusterStats) {
      const envoyName = stat.replace(/^envoy_cluster_/, '').replace(/^outlier_detection_/, 'outlier_detection\\\\.');
      assert.ok(profile.includes(`.*${envoyName}"`), `${stat} is not in proxyStatsMatcher`);
    }
  });
});

describe('metric catalogue', () => {
  it('reads counters, histograms and gauges from CONTRACTS.md', () => {
    const names = serviceMetricsFromContracts(`
## Metrics the services export

- \`a_requests_total{service}\` counter
- \`a_duration_seconds{service}\` histogram
  and \`b_seconds{service}\` on a wrapped line
- outbox: \`a_pending{service}\` gauge
- prom-client default process metrics with prefix \`m_\` (e.g. \`m_process_resident_memory_bytes\`)

## Next
- \`not_this_total\`
`);
    assert.deepEqual(names, [
      'a_duration_seconds_bucket',
      'a_duration_seconds_count',
      'a_duration_seconds_sum',
      'a_pending',
      'a_requests_total',
      'b_seconds_bucket',
      'b_seconds_count',
      'b_seconds_sum',
      'm_process_resident_memory_bytes',
    ]);
  });
});

describe('PromQL metric extraction', () => {
  const cases: Array<[string, string[]]> = [
    [
      'histogram_quantile(0.95, sum by (le, route) (rate(x_seconds_bucket{service=~"$service"}[$__rate_interval])))',
      ['x_seconds_bucket'],
    ],
    ['sum by (a) (rate(x_total{s=~"5.."}[1m])) / sum by (a) (rate(y_total[1m]))', ['x_total', 'y_total']],
    ['max by (service) (g{service=~"a|b"}) or on() vector(0)', ['g']],
    ['sum(increase(c_total{outcome="by (x)"}[$__range]))', ['c_total']],
  ];
  for (const [expr, expected] of cases) {
    it(expr, () => assert.deepEqual(metricNames(expr), expected));
  }
});
