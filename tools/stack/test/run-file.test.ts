import assert from 'node:assert/strict';
import { services } from '@meshmart/kit/topology';
import { servicePorts } from '../src/ports.ts';
import { runFile, sidecarExposures, tokenWrapper } from '../src/run-file.ts';
import { runnableServices } from '../src/stack.ts';

interface RunFileApp {
  appID: string;
  appPort: number;
  appProtocol: string;
  daprHTTPPort: number;
  daprGRPCPort: number;
  daprInternalGRPCPort: number;
  metricsPort: number;
  command: string[];
  env: Record<string, string>;
}

describe('dapr.yaml (Dapr CLI multi-app run file)', () => {
  const apps = runFile().apps as RunFileApp[];

  const runnable = services.filter((s) => runnableServices().includes(s.name));

  it('runs every service that has code, with the ports the stack runner uses', () => {
    assert.deepEqual(
      apps.map((a) => a.appID),
      runnable.map((s) => s.name),
    );
    for (const app of apps) {
      const ports = servicePorts(app.appID as (typeof services)[number]['name']);
      assert.deepEqual(
        [app.appPort, app.daprHTTPPort, app.daprGRPCPort, app.daprInternalGRPCPort, app.metricsPort],
        [ports.app, ports.daprHttp, ports.daprGrpc, ports.daprInternalGrpc, ports.daprMetrics],
      );
      assert.equal(app.env.PORT, String(ports.app));
      assert.equal(app.env.DAPR_HTTP_PORT, String(ports.daprHttp));
    }
  });

  it('gives PostgreSQL owners their database and every app the OTLP endpoint', () => {
    for (const s of runnable) {
      const app = apps.find((a) => a.appID === s.name);
      assert.ok(app);
      assert.equal(app.appProtocol, s.appProtocol);
      assert.equal(app.env.DATABASE_URL?.endsWith(`/${s.postgresDatabase}`), s.postgresDatabase ? true : undefined);
      assert.match(app.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(app.command, [tokenWrapper, 'tools/dapr-run/bundled', s.name]);
    }
  });

  describe('sidecar exposure', () => {
    const file = () => structuredClone(runFile()) as { common: Record<string, unknown>; apps: Array<Record<string, unknown>> };

    it('binds every sidecar API to loopback, with tokens on both sides, and neither placement nor scheduler', () => {
      assert.deepEqual(sidecarExposures(file()), []);
      const { common } = file();
      assert.equal(common.placementHostAddress, '');
      assert.equal(String(common.schedulerHostAddress).trim(), '');
    });

    it('flags APIs on every interface or beyond loopback', () => {
      const unset = file();
      delete unset.common.apiListenAddresses;
      assert.equal(sidecarExposures(unset).length, apps.length);
      assert.match(sidecarExposures(unset)[0] ?? '', /gateway: no apiListenAddresses/);
      const wide = file();
      wide.common.apiListenAddresses = '127.0.0.1,0.0.0.0';
      assert.match(sidecarExposures(wide)[0] ?? '', /listens on 0\.0\.0\.0/);
    });

    it('flags a sidecar or an app started without the tokens', () => {
      const plainDaprd = file();
      delete plainDaprd.common.runtimePath;
      assert.match(sidecarExposures(plainDaprd)[0] ?? '', /no API token/);
      const plainApp = file();
      const first = plainApp.apps[0] as { command: string[] };
      first.command = first.command.slice(1);
      assert.deepEqual(sidecarExposures(plainApp), ["gateway: the app starts without its sidecar's tokens"]);
      const open = file();
      open.common.env = { REQUIRE_DAPR_TOKENS: 'false' };
      assert.deepEqual(sidecarExposures(open), [], 'each app of the plan sets REQUIRE_DAPR_TOKENS=true itself');
      for (const app of open.apps as Array<{ env: Record<string, string> }>) delete app.env.REQUIRE_DAPR_TOKENS;
      assert.equal(sidecarExposures(open).length, apps.length);
    });
  });
});
