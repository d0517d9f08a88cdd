/**
 * winston JSON logs on stdout: one object a line with service, level, request id and
 * the active trace and span ids, so a log line leads to its trace in Jaeger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import winston from 'winston';

export type Logger = winston.Logger;

/** Per-request context carried across awaits without threading it through calls. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

const NO_TRACE = '00000000000000000000000000000000';

/** The trace the current request belongs to, when tracing is on. */
export function activeTraceId(): string | undefined {
  const traceId = trace.getActiveSpan()?.spanContext().traceId;
  return traceId && traceId !== NO_TRACE ? traceId : undefined;
}

const correlation = winston.format((info) => {
  const ctx = requestContext.getStore();
  if (ctx) info.request_id = ctx.requestId;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && span.traceId !== NO_TRACE) {
    info.trace_id = span.traceId;
    info.span_id = span.spanId;
  }
  return info;
});

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      correlation(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}
