/**
 * Run by http-spans.int.test.ts in a process of its own. Tracing starts before node:http
 * is first required, as in a service, so that OpenTelemetry's HTTP instrumentation
 * patches it: it does so once per process, and in the test's own process an earlier
 * file's tracing may already have had its turn. Makes one call to a stand-in sidecar
 * through the kit and one plain call, and prints the client spans as a line of JSON.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { startTracing, stopTracing } from '../src/tracing.ts';
import { KeepingExporter } from './keeping-exporter.ts';

const exporter = new KeepingExporter();
await startTracing('outgoing-spans-probe', { traceExporter: exporter });
createRequire(import.meta.url)('node:http');
const { sidecarExchange } = await import('../src/sidecar-http.ts');

const upstream = http.createServer((req, res) => req.resume().on('end', () => res.end('{}')));
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
await sidecarExchange(`${base}/through-the-kit`, { method: 'GET', headers: {}, timeoutMs: 2000 });
await new Promise<void>((resolve, reject) => {
  http.get(`${base}/plain`, (res) => res.resume().on('end', resolve)).on('error', reject);
});
await stopTracing();
upstream.close();
const spans = exporter.spans.map((s) => ({
  scope: s.instrumentationScope.name,
  path: new URL(String(s.attributes['url.full'])).pathname,
}));
process.stdout.write(`${JSON.stringify(spans)}\n`);
