import assert from 'node:assert/strict';
import { deploymentPlan } from '@meshmart/kit/deployment/plan';
import { retryWindowMs } from '@meshmart/kit/deployment/resiliency';
import { appsUsing, componentNames, services } from '@meshmart/kit/topology';
import { parse } from 'yaml';
import {
  daprComponent,
  daprComponents,
  daprConfiguration,
  daprFileLocations,
  daprResiliency,
  deliveryPolicy,
  localSecrets,
  renderDaprFiles,
} from '../src/dapr-files.ts';
import { infraPorts } from '../src/ports.ts';
import { crdValidator } from './crd-schema.ts';

const at = daprFileLocations('run');
const validateComponent = crdValidator('components.yaml');
const validateConfiguration = crdValidator('configuration.yaml');

const errors = (validate: typeof validateComponent) => JSON.stringify(validate.errors, null, 2);

describe('generated Dapr files', () => {
  it('scopes each component to exactly the services that list it', () => {
    for (const component of daprComponents(at)) {
      assert.deepEqual(component.scopes, appsUsing(component.metadata.name));
    }
  });

  it('leaves out components no service uses, since an unscoped component reaches every app', () => {
    const generated = new Set(daprComponents(at).map((c) => c.metadata.name));
    for (const name of componentNames) assert.equal(generated.has(name), appsUsing(name).length > 0, name);
  });

  it('gives every service its components and no others', () => {
    for (const s of services) {
      const visible = daprComponents(at)
        .filter((c) => c.scopes.includes(s.name))
        .map((c) => c.metadata.name);
      assert.deepEqual(new Set(visible), new Set(s.components), s.name);
    }
  });

  it('produces components that the Component CRD schema accepts, for all six names', () => {
    for (const name of componentNames) {
      const doc = daprComponent(name, ['gateway'], at);
      assert.ok(validateComponent(doc), `${name}: ${errors(validateComponent)}`);
    }
  });

  it('points the components at the private infrastructure and the CONTRACTS.md types', () => {
    const types = Object.fromEntries(componentNames.map((n) => [n, daprComponent(n, [], at).spec.type]));
    assert.deepEqual(types, {
      statestore: 'state.redis',
      pubsub: 'pubsub.rabbitmq',
      secretstore: 'secretstores.local.file',
      configstore: 'configuration.redis',
      smtp: 'bindings.smtp',
      blobstore: 'bindings.localstorage',
    });
    const value = (name: (typeof componentNames)[number], key: string) =>
      daprComponent(name, [], at).spec.metadata.find((m) => m.name === key)?.value;
    assert.equal(value('statestore', 'redisHost'), `127.0.0.1:${infraPorts.redis}`);
    assert.match(value('pubsub', 'connectionString') ?? '', new RegExp(`@127\\.0\\.0\\.1:${infraPorts.rabbitmq}$`));
    assert.equal(value('smtp', 'port'), String(infraPorts.smtp));
    assert.equal(value('secretstore', 'secretsFile'), at.secretsFile);
  });

  it('checks against a schema strict enough to catch a misspelt field', () => {
    const doc = daprComponent('statestore', ['gateway'], at);
    assert.equal(validateComponent({ ...doc, spec: { ...doc.spec, metdata: doc.spec.metadata } }), false);
    const config = daprConfiguration(at);
    assert.equal(validateConfiguration({ ...config, spec: { ...config.spec, tracing: { samplingrate: '1' } } }), false);
  });

  it('produces a Configuration that the CRD schema accepts', () => {
    assert.ok(validateConfiguration(daprConfiguration(at)), errors(validateConfiguration));
  });

  it('traces everything to Jaeger over plain OTLP gRPC and resolves names through SQLite', () => {
    const spec = daprConfiguration(at).spec as {
      tracing: { samplingRate: string; otel: { endpointAddress: string; isSecure: boolean; protocol: string } };
      nameResolution: { component: string; configuration: { connectionString: string } };
      metrics: { enabled: boolean };
    };
    assert.equal(spec.tracing.samplingRate, '1');
    assert.deepEqual(spec.tracing.otel, {
      endpointAddress: `127.0.0.1:${infraPorts.jaegerOtlpGrpc}`,
      isSecure: false,
      protocol: 'grpc',
    });
    assert.equal(spec.metrics.enabled, true);
    assert.equal(spec.nameResolution.component, 'sqlite');
    assert.equal(spec.nameResolution.configuration.connectionString, at.nameResolutionDb);
  });

  it('renders YAML that parses back to the same documents, plus the secrets file', () => {
    const files = renderDaprFiles(at);
    for (const component of daprComponents(at)) {
      assert.deepEqual(parse(files.get(`components/${component.metadata.name}.yaml`) ?? ''), component);
    }
    assert.deepEqual(parse(files.get('config.yaml') ?? ''), daprConfiguration(at));
    assert.deepEqual(JSON.parse(files.get('secrets.json') ?? ''), localSecrets());
  });

  it('uses absolute paths for the runner and repo-relative ones for dapr/', () => {
    const run = daprFileLocations('run');
    const committed = daprFileLocations('static');
    for (const key of ['secretsFile', 'blobDir', 'nameResolutionDb'] as const) {
      assert.ok(run[key].startsWith('/'), `${key}: ${run[key]}`);
      assert.ok(!committed[key].startsWith('/'), `${key}: ${committed[key]}`);
      assert.ok(run[key].endsWith(committed[key]), `${key}: ${run[key]} vs ${committed[key]}`);
    }
  });

  it("bounds pub/sub redelivery in daprd with the plan's policy, and lets the broker only requeue", () => {
    const validateResiliency = crdValidator('resiliency.yaml');
    const resiliency = daprResiliency();
    assert.ok(validateResiliency(resiliency), errors(validateResiliency));
    assert.ok(!validateResiliency({ ...resiliency, spec: { ...resiliency.spec, retry: {} } }), 'a misplaced field is caught');
    const { policies, targets } = deploymentPlan('local').resiliency;
    assert.deepEqual(resiliency.spec, { policies, targets });
    assert.ok(deliveryPolicy.retry.maxRetries > 0 && retryWindowMs(deliveryPolicy.retry).most <= 120_000);
    const rendered = parse(renderDaprFiles(at).get('components/resiliency.yaml') ?? '');
    assert.deepEqual(rendered.spec.targets.components, { pubsub: { inbound: { timeout: 'delivery', retry: 'delivery' } } });
    const local = Object.fromEntries(daprComponent('pubsub', ['x'], at).spec.metadata.map((m) => [m.name, m.value]));
    assert.equal(local.requeueInFailure, 'true');
    assert.equal(local.enableDeadLetter, undefined);
  });
});
