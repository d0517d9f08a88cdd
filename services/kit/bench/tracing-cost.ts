/**
 * What tracing costs a kit app per request, away from the stack's noise: one app
 * (traced-app.ts) in a process of its own, 8 clients on loopback sending a sampled
 * traceparent as daprd does, the app's CPU from /proc per request. Routes: an answer
 * from memory (one server span) and a call through a stand-in sidecar (a server and a
 * client span). Variants, in turn for TRACING_COST_ROUNDS rounds (default 2): tracing off (OTEL_SDK_DISABLED),
 * on with spans exported over OTLP to a sink that accepts and drops them, and on
 * without an exporter. Loopback only; TRACING_COST_SECONDS per measurement (default 6).
 * The sidecar and the OTLP collector are stand-ins that answer at once, so that the
 * figure is the app's CPU alone; `npm run bench` measures the same calls through real
 * sidecars and Jaeger, where their CPU and the machine's noise come on top.
 *
 *   bash scripts/with-node.sh node --import tsx services/kit/bench/tracing-cost.ts
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop, http as httpOutcome, sampleCpu } from '@meshmart/stack/bench';
import { nodeOptions } from '../src/deployment/environment.ts';

const seconds = Number(process.env.TRACING_COST_SECONDS ?? 6);
const rounds = Number(process.env.TRACING_COST_ROUNDS ?? 2);
const CLIENTS = 8;

const VARIANTS: Record<string, Record<string, string>> = {
  'tracing off': { OTEL_SDK_DISABLED: 'true' },
  'tracing on': {},
  'on, no export': { OTEL_TRACES_EXPORTER: 'none' },
};
const ROUTES = { 'from memory': '/profile/42', 'through a sidecar': '/through-sidecar/42' };

async function listen(handler: http.RequestListener): Promise<http.Server & { url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(server, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** One request with a sampled traceparent of its own, as daprd hands an app. */
const traced = (url: string) => () =>
  fetch(url, { headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` } });

async function measure(variant: string, upstream: string, otlp: string): Promise<Record<string, number>> {
  const app = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), 'traced-app.ts')],
    {
      env: {
        ...process.env,
        ...VARIANTS[variant],
        UPSTREAM_URL: upstream,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        OTEL_BSP_SCHEDULE_DELAY: '500',
        NODE_OPTIONS: nodeOptions,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const port = await new Promise<string>((resolve, reject) => {
      app.stdout.setEncoding('utf8').on('data', (line: string) => {
        const found = /listening (\d+)/.exec(line);
        if (found?.[1]) resolve(found[1]);
      });
      app.once('exit', (code) => reject(new Error(`the app exited with ${code} before listening`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const appProcess = [{ name: 'app', pid: app.pid as number }];
    const figures: Record<string, number> = {};
    for (const [name, route] of Object.entries(ROUTES)) {
      const send = httpOutcome(traced(`${base}${route}`));
      await closedLoop(`${variant}, ${name}, warm-up`, { seconds: 1.5, concurrency: CLIENTS }, send);
      const before = sampleCpu(appProcess).get('app') ?? 0;
      const { requests, errors } = await closedLoop(`${variant}, ${name}`, { seconds, concurrency: CLIENTS }, send);
      if (errors > 0) throw new Error(`${errors} of ${requests} requests to ${route} failed`);
      // The last batch of spans goes out within the export delay.
      await new Promise((resolve) => setTimeout(resolve, 700));
      figures[name] = ((sampleCpu(appProcess).get('app') ?? 0) - before) / requests;
    }
    return figures;
  } finally {
    app.kill('SIGTERM');
  }
}

const sidecar = await listen((req, res) => {
  req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"42"}'));
});
const sink = await listen((req, res) => {
  req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
try {
  process.stdout.write(`app CPU per request, ms (${CLIENTS} clients, ${seconds} s each, ${rounds} rounds in turn)\n`);
  process.stdout.write(
    `${'variant'.padEnd(16)}${Object.keys(ROUTES)
      .map((r) => r.padStart(20))
      .join('')}\n`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const variant of Object.keys(VARIANTS)) {
      const figures = await measure(variant, sidecar.url, sink.url);
      process.stdout.write(
        `${variant.padEnd(16)}${Object.values(figures)
          .map((ms) => ms.toFixed(3).padStart(20))
          .join('')}\n`,
      );
    }
  }
} finally {
  sidecar.close();
  sink.close();
}
