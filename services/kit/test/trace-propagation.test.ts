import assert from 'node:assert/strict';
import { defaultTextMapGetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SidecarTraceContextPropagator } from '../src/tracing.ts';

const caller = '00-eabd61fb26580e5eeeb34f050d3898ad-80656918e0fa4e93-01';
const sidecar = '00-eabd61fb26580e5eeeb34f050d3898ad-285ffe0d6721ee6c-01';

function parentOf(traceparent: string | string[]) {
  const ctx = new SidecarTraceContextPropagator().extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
  return trace.getSpanContext(ctx);
}

describe('trace context from a Dapr sidecar', () => {
  it('joins the trace when daprd appends its traceparent to the caller’s (gRPC proxy)', () => {
    const parent = parentOf(`${caller}, ${sidecar}`);
    assert.equal(parent?.traceId, 'eabd61fb26580e5eeeb34f050d3898ad');
    assert.equal(parent?.spanId, '285ffe0d6721ee6c', 'the sidecar span is the direct parent');
  });

  it('reads repeated values and a single plain traceparent as before', () => {
    assert.equal(parentOf([caller, sidecar])?.spanId, '285ffe0d6721ee6c');
    assert.equal(parentOf(caller)?.spanId, '80656918e0fa4e93');
  });
});
