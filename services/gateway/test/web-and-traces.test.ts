import assert from 'node:assert/strict';
import { toTraceView } from '../src/traces.ts';
import { isWebPath } from '../src/web.ts';

describe('gateway: web UI paths', () => {
  it('sends GET and HEAD outside the API to the web UI', () => {
    for (const p of ['/', '/orders/1', '/assets/index-x.js', '/admin']) assert.equal(isWebPath('GET', p), true, p);
    assert.equal(isWebPath('HEAD', '/'), true);
  });

  it('keeps the API, short links, probes and other methods to itself', () => {
    for (const p of ['/api/nope', '/api', '/s/abc', '/.well-known/jwks.json', '/healthz', '/readyz', '/metrics']) {
      assert.equal(isWebPath('GET', p), false, p);
    }
    assert.equal(isWebPath('POST', '/'), false);
  });
});

describe('gateway: trace view', () => {
  const tag = (key: string, value: unknown) => ({ key, value });
  const span = (
    id: string,
    parent: string | undefined,
    process: string,
    start: number,
    tags: Array<{ key: string; value: unknown }>,
  ) => ({
    traceID: 't',
    spanID: id,
    operationName: `op-${id}`,
    references: parent ? [{ refType: 'CHILD_OF', traceID: 't', spanID: parent }] : [],
    processID: process,
    startTime: start,
    duration: 1000,
    tags,
  });
  const trace = {
    traceID: 't',
    processes: { p1: { serviceName: 'gateway' }, p2: { serviceName: 'orders' } },
    spans: [
      span('db', 'srv', 'p2', 1_000_300, [tag('db.system', 'postgresql'), tag('db.statement', 'SELECT 1')]),
      span('mw', 'router', 'p1', 1_000_010, [tag('koa.type', 'middleware')]),
      span('router', 'root', 'p1', 1_000_005, [tag('koa.type', 'router')]),
      span('root', undefined, 'p1', 1_000_000, [tag('http.method', 'POST'), tag('span.kind', 'server')]),
      span('side', 'mw', 'p1', 1_000_100, [tag('otel.scope.name', 'dapr-diagnostics'), tag('span.kind', 'client')]),
      span('srv', 'side', 'p2', 1_000_200, [
        tag('otel.scope.name', 'dapr-diagnostics'),
        tag('error', true),
        tag('otel.status_description', 'boom'),
      ]),
    ],
  };

  it("drops Koa's own spans, nests the rest depth first and names layers and errors", () => {
    const view = toTraceView(trace, 'http://localhost:16686');
    assert.deepEqual(
      view.spans.map((s) => [s.id, s.parentId, s.layer]),
      [
        ['root', null, 'http'],
        ['side', 'root', 'daprd'],
        ['srv', 'side', 'daprd'],
        ['db', 'srv', 'db'],
      ],
    );
    assert.deepEqual(view.services, ['gateway', 'orders']);
    assert.equal(view.spans.find((s) => s.id === 'srv')?.error, 'boom');
    assert.equal(view.spans.find((s) => s.id === 'root')?.error, null);
    assert.equal(view.spans.find((s) => s.id === 'db')?.detail, 'SELECT 1');
    assert.equal(view.spans[3]?.startMs, 0.3);
    assert.equal(view.jaegerUiUrl, 'http://localhost:16686/trace/t');
  });
});
