/**
 * OpenTelemetry start-up through the NodeSDK, configured by the standard OTEL_* variables
 * (services/kit/README.md lists them). It must run before the instrumented libraries are
 * imported, so a service's main.ts calls startTracing() first and then imports the rest
 * of the service dynamically. The module hooks are registered here because koa, pg and
 * grpc-js are imported from ES modules, which require-hooks alone do not see. They are
 * Node's synchronous hooks, which run on the main thread: the asynchronous kind
 * (`module.register`) starts a loader thread with its own V8 heap, about 30 MiB of every
 * service's resident memory, and passes each module load through it.
 */
import { type RegisterHooksOptions, registerHooks } from 'node:module';
import { type Context, context, logs, propagation, type TextMapGetter, type TextMapPropagator, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  getBooleanFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  getStringListFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { register as registerInstrumentationHooks } from 'import-in-the-middle/register-hooks.mjs';
import { makesOwnClientSpans } from './own-client-spans.ts';
import { PreciseSpanStart } from './span-start-time.ts';

/**
 * W3C trace context that also reads what daprd hands a gRPC app: the proxying sidecar
 * appends its own `traceparent` to the caller's, and grpc-js joins the two values with
 * ", ", which the standard parser rejects, so every gRPC server span would start a new
 * trace. The last entry is the sidecar's span, the app's direct parent.
 */
export class SidecarTraceContextPropagator extends W3CTraceContextPropagator {
  override extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const lastEntry: TextMapGetter = {
      keys: (c) => getter.keys(c),
      get: (c, key) => {
        const value = getter.get(c, key);
        const joined = Array.isArray(value) ? value.join(',') : value;
        if (key !== 'traceparent' || joined === undefined || !joined.includes(',')) return value;
        return joined.split(',').at(-1)?.trim();
      },
    };
    return super.extract(ctx, carrier, lastEntry);
  }
}

/**
 * Only these packages go through the ESM hook: wrapping every module costs tens of MB per
 * process and start-up time for nothing.
 */
const HOOKED_PACKAGES = ['pg', 'pg-pool', 'mongoose', 'mongodb', '@grpc/grpc-js', 'undici'];

/**
 * What the NodeSDK imports at load for set-ups the kit never asks for: it picks exporters
 * for metrics, logs and other trace protocols, and reads declarative config files, only
 * when no component is passed in, and the kit passes every one. Loading them costs about
 * 10 MiB per process, so its imports of these packages get stand-ins whose exports throw
 * if ever used. The names are the ones the pinned NodeSDK imports; a version that imports
 * other names from these packages fails at start (and in the kit's tracing test).
 */
const UNUSED_BY_NODE_SDK: Record<string, string[]> = {
  '@opentelemetry/configuration': [
    'mergeHeadersConfig',
    'mergePropagatorCompositeConfig',
    'mergeResourceAttributesConfig',
    'parseConfigFile',
  ],
  '@opentelemetry/exporter-logs-otlp-grpc': ['OTLPLogExporter'],
  '@opentelemetry/exporter-logs-otlp-http': ['OTLPLogExporter'],
  '@opentelemetry/exporter-logs-otlp-proto': ['OTLPLogExporter'],
  '@opentelemetry/exporter-metrics-otlp-grpc': ['OTLPMetricExporter'],
  '@opentelemetry/exporter-metrics-otlp-http': ['OTLPMetricExporter', 'AggregationTemporalityPreference'],
  '@opentelemetry/exporter-metrics-otlp-proto': ['OTLPMetricExporter'],
  '@opentelemetry/exporter-prometheus': ['PrometheusExporter'],
  '@opentelemetry/exporter-trace-otlp-grpc': ['OTLPTraceExporter'],
  '@opentelemetry/exporter-trace-otlp-http': ['OTLPTraceExporter'],
  '@opentelemetry/exporter-zipkin': ['ZipkinExporter'],
  '@opentelemetry/otlp-grpc-exporter-base': ['createEmptyMetadata', 'createInsecureCredentials', 'createSslCredentials'],
};

const UNUSED_PREFIX = 'meshmart-unused:';

/** Hands the NodeSDK a stand-in for each package in UNUSED_BY_NODE_SDK. */
const unusedModulesHooks: RegisterHooksOptions = {
  resolve(specifier, context, next) {
    if (Object.hasOwn(UNUSED_BY_NODE_SDK, specifier) && context.parentURL?.includes('/@opentelemetry/sdk-node/')) {
      return { url: UNUSED_PREFIX + specifier, shortCircuit: true };
    }
    return next(specifier, context);
  },
  load(url, context, next) {
    if (!url.startsWith(UNUSED_PREFIX)) return next(url, context);
    const specifier = url.slice(UNUSED_PREFIX.length);
    const failure = JSON.stringify(`${specifier} is not loaded: configure it in services/kit/src/tracing.ts`);
    const source = (UNUSED_BY_NODE_SDK[specifier] ?? [])
      .map((name) => `export const ${name} = function () { throw new Error(${failure}); };`)
      .join('\n');
    return { format: 'module', source, shortCircuit: true };
  },
};

/** OTEL_PROPAGATORS values, with the sidecar-aware parser as `tracecontext`. */
const PROPAGATORS: Record<string, () => TextMapPropagator> = {
  tracecontext: () => new SidecarTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator(),
  b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
};

/** `null` is OTEL_PROPAGATORS=none: the NodeSDK then installs no propagator at all. */
function propagatorFromEnv(): TextMapPropagator | null {
  const names = [...new Set(getStringListFromEnv('OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'])];
  if (names.includes('none')) return null;
  return new CompositePropagator({
    propagators: names.map((name) => {
      const make = PROPAGATORS[name];
      if (!make) throw new Error(`OTEL_PROPAGATORS: ${name} is not supported (${Object.keys(PROPAGATORS).join(', ')}, none)`);
      return make();
    }),
  });
}

/** Only OTLP over HTTP/protobuf is loaded; another choice refuses to start rather than export nowhere. `undefined` is none. */
function traceExporterFromEnv(): SpanExporter | undefined {
  const exporters = getStringListFromEnv('OTEL_TRACES_EXPORTER') ?? ['otlp'];
  if (exporters.length === 1 && exporters[0] === 'none') return undefined;
  if (exporters.some((name) => name !== 'otlp')) throw new Error('OTEL_TRACES_EXPORTER: only otlp or none is supported');
  const protocolVariable = ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'].find((name) =>
    getStringFromEnv(name),
  );
  if (protocolVariable && getStringFromEnv(protocolVariable)?.trim() !== 'http/protobuf') {
    throw new Error(`${protocolVariable}: only http/protobuf is supported`);
  }
  return new OTLPTraceExporter();
}

/** The batch settings the NodeSDK would read, since the kit builds the processor itself; as there, 0 or less is the default. */
function batchSettingsFromEnv() {
  const setting = (name: string) => {
    const value = getNumberFromEnv(name);
    return value !== undefined && value > 0 ? value : undefined;
  };
  return {
    maxQueueSize: setting('OTEL_BSP_MAX_QUEUE_SIZE'),
    scheduledDelayMillis: setting('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: setting('OTEL_BSP_EXPORT_TIMEOUT'),
    maxExportBatchSize: setting('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  };
}

let running: { sdk: NodeSDK; instrumentations: Instrumentation[] } | undefined;
let hooksRegistered = false;

export interface TracingOptions {
  /** Replaces the OTLP exporter (tests); batching still follows OTEL_BSP_*. */
  traceExporter?: SpanExporter;
}

/**
 * Starts the NodeSDK with `service` as the default service.name (OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES override it). Sampler, exporter endpoint, batching and
 * resource come from the standard variables; OTEL_SDK_DISABLED=true starts nothing.
 */
export async function startTracing(service: string, options: TracingOptions = {}): Promise<void> {
  if (running || getBooleanFromEnv('OTEL_SDK_DISABLED')) return;
  const exporter = options.traceExporter ?? traceExporterFromEnv();
  const textMapPropagator = propagatorFromEnv();
  if (!hooksRegistered) {
    registerInstrumentationHooks({ include: HOOKED_PACKAGES });
    registerHooks(unusedModulesHooks);
    hooksRegistered = true;
  }
  // Imported only now: a static import would load it, and all it imports, before the hook above exists.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const spanProcessors = exporter
    ? [new PreciseSpanStart(), new BatchSpanProcessor({ exporter, ...batchSettingsFromEnv() })]
    : [];
  const instrumentations = [
    // The kit makes the server span of each request (http-server-span.ts) and the client
    // span of each call to the sidecar (sidecar-http.ts) itself, at a fraction of the
    // cost; the instrumentation covers any other outgoing HTTP call.
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, ignoreOutgoingRequestHook: makesOwnClientSpans }),
    // Node's fetch (undici) carries the sidecar calls that move files (bindings,
    // invokeRaw); without this, Dapr would start a new trace at each of them.
    new UndiciInstrumentation(),
    // No Koa instrumentation: it adds a span per middleware (about 15 per request), which
    // cost more CPU than the handlers. The HTTP server span is the request's one span; the
    // kit's app names it after the route (app.ts).
    new GrpcInstrumentation(),
    // A query's span is enough: a span for taking a client from the pool (every query)
    // cost as much as the query's own and says nothing a slow query span does not.
    new PgInstrumentation({ enhancedDatabaseReporting: false, ignoreConnectSpans: true }),
    new MongooseInstrumentation(),
  ];
  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: service })),
    spanProcessors,
    textMapPropagator,
    instrumentations,
    // Passed empty so that the SDK does not set up OTLP metric and log exporters from the
    // environment: metrics go to Prometheus, logs to stdout.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  running = { sdk, instrumentations };
}

/** Flushes and ends tracing, and frees the API's globals so that tracing can start again (tests). */
export async function stopTracing(): Promise<void> {
  const stopping = running;
  if (!stopping) return;
  running = undefined;
  try {
    await stopping.sdk.shutdown();
  } finally {
    for (const instrumentation of stopping.instrumentations) instrumentation.disable();
    trace.disable();
    propagation.disable();
    context.disable();
    logs.disable();
  }
}

/** W3C trace context of the active span, for carriers the instrumentations miss. */
export function currentTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export function currentTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}
