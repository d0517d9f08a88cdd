import assert from 'node:assert/strict';
import { synthesize } from './support/synth.ts';

describe('load Job', () => {
  it('is not deployed unless asked for', () => {
    const { objects, files } = synthesize();
    assert.equal(
      objects.some((o) => o.kind === 'Job'),
      false,
    );
    assert.equal(files.includes('60-load.yaml'), false);
  });

  it('sends the load journeys to the ingress gateway at the asked rate for the asked time', () => {
    const { objects } = synthesize({ load: { rate: 20, durationSeconds: 300 } });
    const job = objects.find((o) => o.kind === 'Job') as unknown as {
      metadata: { name: string; namespace: string };
      spec: { template: { spec: { containers: Array<{ image: string; args: string[] }> } } };
    };
    assert.ok(job, 'no Job in the manifests');
    assert.equal(job.metadata.namespace, 'meshmart-observability');
    const [container] = job.spec.template.spec.containers;
    assert.match(container?.image ?? '', /^artilleryio\/artillery:\d+\.\d+\.\d+$/);
    assert.deepEqual(container?.args, ['run', '--quiet', '/load/script.json']);
    const script = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'load-script') as unknown as {
      data: Record<string, string>;
    };
    const { config } = JSON.parse(script.data['script.json'] ?? '{}') as {
      config: { target: string; phases: Array<{ duration: number; arrivalRate: number }> };
    };
    assert.equal(config.target, 'http://istio-ingressgateway.istio-system.svc.cluster.local');
    assert.deepEqual(
      config.phases.map((p) => [p.duration, p.arrivalRate]),
      [[300, 20]],
    );
  });
});
