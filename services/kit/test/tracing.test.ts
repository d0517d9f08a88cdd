import assert from 'node:assert/strict';
import { setTimeout } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { currentTraceContext, startTracing, stopTracing } from '../src/tracing.ts';
import { KeepingExporter } from './keeping-exporter.ts';

interface Outcome {
  sampled: boolean;
  exported: ReadableSpan[];
  carrier: Record<string, string>;
  /** Parent span read from what daprd's gRPC proxy hands an app: the caller's and its own traceparent. */
  proxiedParent: string | undefined;
}

const proxiedTraceparent =
  '00-eabd61fb26580e5eeeb34f050d3898ad-80656918e0fa4e93-01, 00-eabd61fb26580e5eeeb34f050d3898ad-285ffe0d6721ee6c-01';

const OTEL_VARIABLES = [
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_SERVICE_NAME',
  'OTEL_PROPAGATORS',
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_BSP_SCHEDULE_DELAY',
];

/** Runs `run` with exactly `env` among the OTEL_* variables, and leaves tracing stopped. */
async function withEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(OTEL_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of OTEL_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    await stopTracing();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Starts tracing under `env`, ends one span (a child of `parent` if given), stops and returns what came out. */
function traceOnce(env: Record<string, string>, parent = ROOT_CONTEXT): Promise<Outcome> {
  return withEnv(env, async () => {
    const exporter = new KeepingExporter();
    await startTracing('kit-test', { traceExporter: exporter });
    const span = trace.getTracer('kit-test').startSpan('work', {}, parent);
    const carrier = context.with(trace.setSpan(context.active(), span), currentTraceContext);
    const proxiedParent = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: proxiedTraceparent }))?.spanId;
    span.end();
    await stopTracing();
    const sampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
    return { sampled, exported: exporter.spans, carrier, proxiedParent };
  });
}

const resourceOf = (outcome: Outcome) => {
  assert.equal(outcome.exported.length, 1, 'one span exported');
  return outcome.exported[0]?.resource.attributes ?? {};
};

describe('tracing configured by the OTEL_* environment', () => {
  it('samples by OTEL_TRACES_SAMPLER and its ratio argument', async () => {
    const none = await traceOnce({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    assert.equal(none.sampled, false);
    assert.equal(none.exported.length, 0);
    const all = await traceOnce({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' });
    assert.equal(all.sampled, true);
    assert.equal(all.exported.length, 1);
  });

  it('follows the parent’s decision by default and samples new traces', async () => {
    assert.equal((await traceOnce({})).sampled, true);
    const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'eabd61fb26580e5eeeb34f050d3898ad',
      spanId: '285ffe0d6721ee6c',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const child = await traceOnce({}, unsampledParent);
    assert.equal(child.sampled, false);
    assert.equal(child.exported.length, 0);
  });

  it('adds OTEL_RESOURCE_ATTRIBUTES to the resource', async () => {
    const attributes = resourceOf(
      await traceOnce({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=unit,service.namespace=meshmart' }),
    );
    assert.equal(attributes['deployment.environment.name'], 'unit');
    assert.equal(attributes['service.namespace'], 'meshmart');
    assert.equal(resourceOf(await traceOnce({}))['deployment.environment.name'], undefined);
  });

  it('names the service after the caller unless OTEL_SERVICE_NAME says otherwise', async () => {
    assert.equal(resourceOf(await traceOnce({}))['service.name'], 'kit-test');
    assert.equal(resourceOf(await traceOnce({ OTEL_SERVICE_NAME: 'renamed' }))['service.name'], 'renamed');
  });

  it('propagates W3C trace context, read as the sidecar joins it, by default and what OTEL_PROPAGATORS names otherwise', async () => {
    const w3c = await traceOnce({});
    assert.match(w3c.carrier.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(w3c.carrier.b3, undefined);
    assert.equal(w3c.proxiedParent, '285ffe0d6721ee6c', 'the sidecar span is the parent');
    const b3 = await traceOnce({ OTEL_PROPAGATORS: 'b3' });
    assert.equal(b3.carrier.traceparent, undefined);
    assert.match(b3.carrier.b3 ?? '', /^[0-9a-f]{32}-[0-9a-f]{16}-1$/);
    assert.equal(b3.proxiedParent, undefined);
  });

  it('refuses to start with an exporter protocol or a propagator it does not load', async () => {
    await withEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, () =>
      assert.rejects(startTracing('kit-test'), /OTEL_EXPORTER_OTLP_PROTOCOL: only http\/protobuf/),
    );
    await withEnv({ OTEL_PROPAGATORS: 'tracecontext,jaeger' }, () =>
      assert.rejects(startTracing('kit-test'), /OTEL_PROPAGATORS: jaeger is not supported/),
    );
    await withEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_EXPORTER: 'otlp' }, () => startTracing('kit-test'));
  });

  it('batches by OTEL_BSP_SCHEDULE_DELAY (0 is the default), and starts spans to the microsecond', async () => {
    for (const delay of ['20', '60000', '0']) {
      await withEnv({ OTEL_BSP_SCHEDULE_DELAY: delay }, async () => {
        const exporter = new KeepingExporter();
        await startTracing('kit-test', { traceExporter: exporter });
        trace.getTracer('kit-test').startSpan('work').end();
        if (delay === '20') {
          const deadline = performance.now() + 5_000;
          while (exporter.spans.length === 0 && performance.now() < deadline) await setTimeout(10);
          assert.equal(exporter.spans.length, 1, 'exported on its own within 5 s');
        } else {
          await setTimeout(300);
          assert.equal(exporter.spans.length, 0, `held for the batch with OTEL_BSP_SCHEDULE_DELAY=${delay}`);
        }
        await stopTracing();
        assert.equal(exporter.spans.length, 1, 'flushed at shutdown');
        assert.notEqual((exporter.spans[0]?.startTime[1] ?? 0) % 1_000_000, 0, 'not a whole millisecond');
      });
    }
  });

  it('starts nothing with OTEL_SDK_DISABLED=true', async () => {
    const disabled = await traceOnce({ OTEL_SDK_DISABLED: 'true' });
    assert.equal(disabled.sampled, false);
    assert.equal(disabled.exported.length, 0);
    assert.deepEqual(disabled.carrier, {});
  });
});
