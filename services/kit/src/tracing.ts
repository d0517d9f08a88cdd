/**
 * OpenTelemetry start-up. It must run before the instrumented libraries are imported,
 * so a service's main.ts calls startTracing() first and then imports the rest of the
 * service dynamically. The ESM hook is registered here because koa, pg and grpc-js are
 * imported from ES modules, which require-hooks alone do not see.
 */
import { register } from 'node:module';
import { type Context, context, propagation, type TextMapGetter, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

let provider: TracerProvider | undefined;

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
const HOOKED_PACKAGES = ['koa', '@koa/router', 'pg', 'pg-pool', 'mongoose', 'mongodb', '@grpc/grpc-js', 'undici'];

/** Paths the probes and Prometheus hit every few seconds; tracing them is noise. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function startTracing(service: string, endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT): void {
  if (provider) return;
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: HOOKED_PACKAGES } });
  const exporter = endpoint ? new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }) : undefined;
  provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    // Without an endpoint spans are not exported, but W3C context still propagates so
    // that traces stay joined across services that do export.
    spanProcessors: exporter ? [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 })] : [],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new SidecarTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      // Node's fetch (undici) carries every call to the sidecar; without this, Dapr would
      // start a new trace at each hop.
      new UndiciInstrumentation(),
      new KoaInstrumentation(),
      new GrpcInstrumentation(),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new MongooseInstrumentation(),
    ],
  });
}

export async function stopTracing(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
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
