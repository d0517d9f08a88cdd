/** scripts/kind-up.sh, the Istio profile and docs/cluster.md agree with the manifests. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { observabilityEndpoints, observabilityPorts } from '../src/observability/endpoints.ts';
import { repoRoot } from '../src/repo-paths.ts';
import { daprVersion, istioVersion } from '../src/settings.ts';

/** The daprd the local stack builds (tools/daprd/go.mod), which docs/cluster.md must name. */
const localDaprVersion = /github\.com\/dapr\/dapr v(\S+)/.exec(readFileSync(join(repoRoot, 'tools/daprd/go.mod'), 'utf8'))?.[1];

import { localPorts } from '../src/skaffold-config.ts';

const tools = ['docker', 'kind', 'kubectl', 'istioctl', 'helm', 'skaffold', 'npm'];
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

function kindUp(present: string[]): { status: number | null; output: string } {
  const bin = mkdtempSync(join(tmpdir(), 'kind-up-bin-'));
  try {
    for (const tool of present) {
      writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n');
      chmodSync(join(bin, tool), 0o755);
    }
    const run = spawnSync('/bin/bash', [join(repoRoot, 'scripts/kind-up.sh')], {
      env: { PATH: bin, HOME: tmpdir() },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('cluster bootstrap', () => {
  it('kind-up.sh names every missing prerequisite with where to get it, and stops', () => {
    const none = kindUp([]);
    assert.equal(none.status, 1);
    for (const tool of tools) assert.match(none.output, new RegExp(`- ${tool} — (install|run) .*https://`), tool);
  });

  it('kind-up.sh reports only the tool that is actually missing', () => {
    const run = kindUp(tools.filter((t) => t !== 'helm'));
    assert.equal(run.status, 1);
    assert.match(run.output, /- helm — /);
    assert.doesNotMatch(run.output, /- (docker|kind|kubectl|istioctl|skaffold|npm) — /);
  });

  it('kind-up.sh installs the pinned Dapr release with Dapr mTLS off', () => {
    const script = read('scripts/kind-up.sh');
    assert.match(script, new RegExp(`dapr_version=${daprVersion.replaceAll('.', '\\.')}\\n`));
    assert.match(script, /--set global\.mtls\.enabled=false/);
    assert.match(script, /istio\/istio-operator\.yaml/);
    assert.match(script, /istio\/mesh-telemetry\.yaml/);
    assert.match(script, new RegExp(`istio_minor=${istioVersion.split('.').slice(0, 2).join('\\.')}\\n`));
  });

  it('the Istio profile traces to the collector, logs access, and starts proxies first', () => {
    const profile = parse(read('istio/istio-operator.yaml'));
    const mesh = profile.spec.meshConfig;
    const [provider] = mesh.extensionProviders;
    assert.deepEqual(provider.opentelemetry, {
      service: observabilityEndpoints.collectorHost,
      port: observabilityPorts.otlpGrpc,
    });
    assert.deepEqual(mesh.defaultProviders.tracing, [provider.name]);
    assert.equal(mesh.accessLogFile, '/dev/stdout');
    assert.equal(mesh.defaultConfig.holdApplicationUntilProxyStarts, true);
    assert.equal(profile.spec.values.pilot.env.ENABLE_NATIVE_SIDECARS, 'true');
    assert.equal(profile.spec.values.pilot.env.PILOT_JWT_ENABLE_REMOTE_JWKS, 'envoy');
    const telemetry = parse(read('istio/mesh-telemetry.yaml'));
    assert.equal(telemetry.spec.tracing[0].providers[0].name, provider.name);
  });

  it('docs/cluster.md gives the versions, the budget, the URLs and how to replace the dev secrets', () => {
    const doc = read('docs/cluster.md');
    for (const text of [
      `Dapr ${daprVersion}`,
      `daprd **${localDaprVersion}**`,
      `Istio ${istioVersion.split('.').slice(0, 2).join('.')}`,
      'skaffold dev -p small',
      '.data/cluster-secret-seed',
      'scripts/kind-up.sh',
      ...Object.values(localPorts).map((port) => `localhost:${port}`),
    ]) {
      assert.ok(doc.includes(text), `docs/cluster.md does not mention ${text}`);
    }
    assert.match(doc, /## Run on kind/);
    assert.match(doc, /## Who owns what/);
  });
});
