/**
 * `npm run bench`: figures from one run of the real local stack. Login, GET me and the
 * product listing are measured through gateway → daprd → daprd → service and against the
 * same handler called directly, so the cost of the sidecar hops shows as a ratio;
 * checkout runs the whole saga; the short-link redirect (the hot path) likewise, against
 * ResolveURL called directly; QR codes rendered as PNG and SVG and served from the cache.
 * Then the idle
 * resident memory of every service and sidecar, and each service's start-up time
 * (restarted one at a time once the load is over, the best of BENCH_STARTS, default 3).
 * Load goes to loopback only, for a fixed time per scenario (BENCH_SECONDS, default 5)
 * at fixed concurrency (BENCH_CONCURRENCY, default 8). Checkout is also measured with one
 * client, and inventory's Reserve in-process on a table of settled reservations; those
 * figures are printed next to their budgets.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { ServiceName } from '@meshmart/kit/topology';
import { LinksServiceClient } from '@meshmart/proto/links/v1/links';
import { reserveInProcess, SETTLED_RESERVATIONS } from './bench-reserve.ts';
import { localCredentials } from './credentials.ts';
import { probePort, servicePorts } from './ports.ts';
import { sleep } from './processes.ts';
import { isHttpOk } from './readiness.ts';
import { type StackHandle, startStack } from './stack.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
/** The best of several starts: on a shared machine one start mostly measures the neighbours. */
const starts = Number(process.env.BENCH_STARTS ?? 3);

interface Result {
  requests: number;
  errors: number;
  /** Status (or 'network') of failed requests, so an error count can be explained. */
  failures: Record<string, number>;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** What one request came to: fine, or the status (or 'network') that explains the error. */
type Outcome = { ok: true } | { ok: false; failure: string };

/** An HTTP request counts as fine when `ok` says so (default: a 2xx answer). */
function http(send: () => Promise<Response>, ok = (r: Response) => r.ok): () => Promise<Outcome> {
  return async () => {
    const res = await send().catch(() => undefined);
    await res?.arrayBuffer();
    if (res && ok(res)) return { ok: true };
    return { ok: false, failure: res ? String(res.status) : 'network' };
  };
}

/** Budgets of the inventory change (issue 10), measured against 7.2 checkouts/s and 202 ms p50 before it. */
const CHECKOUT_P50_BUDGET_MS = 60;
const CHECKOUTS_PER_SECOND_BEFORE = 7.2;
const RESERVE_P50_BUDGET_MS = 5;

/** Closed-loop load: `workers` clients, each sending its next request when the last answered. */
async function load(label: string, send: () => Promise<Outcome>, workers = concurrency): Promise<Result> {
  process.stderr.write(`  measuring ${label} for ${seconds}s … `);
  const latencies: number[] = [];
  let errors = 0;
  const failures: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const outcome = await send();
        if (!outcome.ok) {
          errors++;
          failures[outcome.failure] = (failures[outcome.failure] ?? 0) + 1;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  process.stderr.write(`${latencies.length} requests\n`);
  return {
    requests: latencies.length,
    errors,
    failures,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/**
 * Process start to the first answer of /healthz, with the service's sidecar and the
 * infrastructure already up, so the figure is the process's own start-up: loading code,
 * tracing, connecting its pools. Polled every 10 ms, which bounds its resolution.
 */
async function startupMs(stack: StackHandle, name: ServiceName): Promise<number> {
  await stack.stopService(name);
  const healthz = `http://127.0.0.1:${probePort(name)}/healthz`;
  const started = performance.now();
  let failure: Error | undefined;
  const ready = stack.startService(name).catch((err: Error) => {
    failure = err;
  });
  while (!(await isHttpOk(healthz))) {
    if (failure) throw failure;
    await sleep(10);
  }
  const elapsed = performance.now() - started;
  await ready;
  if (failure) throw failure;
  return elapsed;
}

async function firstProduct(gateway: string): Promise<string> {
  const page = (await (await fetch(`${gateway}/api/products?limit=1&sort=name`)).json()) as { items: Array<{ id: string }> };
  const id = page.items[0]?.id;
  if (!id) throw new Error('the catalog has no products; is the demo seed loaded?');
  return id;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function main(): Promise<void> {
  process.stderr.write('starting the local stack (quiet; logs in .data/logs) …\n');
  const stack = await startStack({
    quiet: true,
    // The benchmark is one client hammering on purpose; the limiter would only measure itself.
    env: {
      gateway: {
        RATE_LIMIT_AUTH_MAX: '100000000',
        RATE_LIMIT_API_MAX: '100000000',
        RATE_LIMIT_REDIRECT_MAX: '100000000',
        LOG_LEVEL: 'warn',
      },
      users: { LOG_LEVEL: 'warn' },
    },
  });
  try {
    // Idle first: nothing has been sent yet but the readiness probes.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const memory = await Promise.all(stack.processes().map(async (p) => ({ ...p, rss: await rssMiB(p.pid) })));

    const gateway = stack.urls.gateway;
    const users = stack.urls.services.users?.app as string;
    const appToken = { 'dapr-api-token': stack.tokens.appApiToken };
    const json = { 'content-type': 'application/json' };
    const email = `bench-${randomBytes(4).toString('hex')}@meshmart.test`;
    const password = 'benchmark password';
    const registered = await fetch(`${gateway}/api/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password, displayName: 'Bench' }),
    });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
    const login = JSON.stringify({ email, password });
    const { accessToken } = (await (
      await fetch(`${gateway}/api/auth/login`, { method: 'POST', headers: json, body: login })
    ).json()) as {
      accessToken: string;
    };
    const bearer = { authorization: `Bearer ${accessToken}` };

    const rows: Array<[string, string, Result]> = [];
    const adminLogin = await fetch(`${gateway}/api/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: localCredentials.admin.email, password: localCredentials.admin.password }),
    });
    const admin = { authorization: `Bearer ${((await adminLogin.json()) as { accessToken: string }).accessToken}` };
    rows.push([
      'login',
      'gateway → daprd → daprd → users',
      await load(
        'login via gateway',
        http(() => fetch(`${gateway}/api/auth/login`, { method: 'POST', headers: json, body: login })),
      ),
    ]);
    rows.push([
      'login',
      'users directly',
      await load(
        'login direct',
        http(() => fetch(`${users}/auth/login`, { method: 'POST', headers: { ...json, ...appToken }, body: login })),
      ),
    ]);
    rows.push([
      'GET me',
      'gateway → daprd → daprd → users',
      await load(
        'me via gateway',
        http(() => fetch(`${gateway}/api/users/me`, { headers: bearer })),
      ),
    ]);
    rows.push([
      'GET me',
      'users directly',
      await load(
        'me direct',
        http(() => fetch(`${users}/me`, { headers: { ...bearer, ...appToken } })),
      ),
    ]);

    // Commerce: one product with plenty of stock, one address, the approving test card.
    const catalog = stack.urls.services.catalog?.app as string;
    const product = await firstProduct(gateway);
    const stocked = await fetch(`${gateway}/api/products/${product}/stock`, {
      method: 'PUT',
      headers: { ...json, ...admin },
      body: JSON.stringify({ stock: 1_000_000 }),
    });
    if (!stocked.ok) throw new Error(`stocking ${product} failed: ${stocked.status} ${await stocked.text()}`);
    const address = (await (
      await fetch(`${gateway}/api/users/me/addresses`, {
        method: 'POST',
        headers: { ...json, ...bearer },
        body: JSON.stringify({ line1: '1 Bench Road', city: 'Lisbon', postalCode: '1000-001', country: 'PT' }),
      })
    ).json()) as { id: string };
    const card = { number: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' };
    const order = JSON.stringify({ items: [{ productId: product, quantity: 1 }], shippingAddressId: address.id, card });
    // Eight buyers, each with an address of their own, for the concurrent checkout figure.
    const buyers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const buyerEmail = `bench-buyer-${i}-${randomBytes(4).toString('hex')}@meshmart.test`;
        const made = await fetch(`${gateway}/api/auth/register`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email: buyerEmail, password, displayName: `Buyer ${i}` }),
        });
        if (made.status !== 201) throw new Error(`register failed: ${made.status} ${await made.text()}`);
        const signedIn = (await (
          await fetch(`${gateway}/api/auth/login`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ email: buyerEmail, password }),
          })
        ).json()) as { accessToken: string };
        const auth = { authorization: `Bearer ${signedIn.accessToken}` };
        const at = (await (
          await fetch(`${gateway}/api/users/me/addresses`, {
            method: 'POST',
            headers: { ...json, ...auth },
            body: JSON.stringify({ line1: `${i} Bench Road`, city: 'Lisbon', postalCode: '1000-001', country: 'PT' }),
          })
        ).json()) as { id: string };
        return { auth, body: JSON.stringify({ items: [{ productId: product, quantity: 1 }], shippingAddressId: at.id, card }) };
      }),
    );
    let turn = 0;
    rows.push([
      'list',
      'gateway → daprd → daprd → catalog',
      await load(
        'product listing via gateway',
        http(() => fetch(`${gateway}/api/products?limit=20`)),
      ),
    ]);
    rows.push([
      'list',
      'catalog directly',
      await load(
        'product listing direct',
        http(() => fetch(`${catalog}/products?limit=20`, { headers: appToken })),
      ),
    ]);
    // The saga has no direct twin: each request runs GetUser, CheckStock, prices, Reserve, charge and Commit.
    const checkoutAlone = await load(
      'checkout, one client',
      http(() =>
        fetch(`${gateway}/api/orders`, {
          method: 'POST',
          headers: { ...json, ...bearer, 'idempotency-key': `bench-${randomBytes(8).toString('hex')}` },
          body: order,
        }),
      ),
      1,
    );
    rows.push(['checkout', 'gateway → orders → …, one client', checkoutAlone]);
    const checkoutBusy = await load(
      `checkout, ${buyers.length} buyers`,
      http(() => {
        const who = buyers[turn++ % buyers.length] as (typeof buyers)[number];
        return fetch(`${gateway}/api/orders`, {
          method: 'POST',
          headers: { ...json, ...who.auth, 'idempotency-key': `bench-${randomBytes(8).toString('hex')}` },
          body: who.body,
        });
      }),
      buyers.length,
    );
    rows.push(['checkout', `gateway → orders → …, ${buyers.length} buyers`, checkoutBusy]);
    process.stderr.write(`  measuring Reserve in-process with ${SETTLED_RESERVATIONS} settled reservations … `);
    const reserve = await reserveInProcess();
    process.stderr.write(`${reserve.samples} reserves\n`);

    // Short links: one link followed over and over is the redirect hot path.
    const shortened = await fetch(`${gateway}/api/links`, {
      method: 'POST',
      headers: { ...json, ...bearer },
      body: JSON.stringify({ url: 'https://example.com/bench' }),
    });
    if (shortened.status !== 201) throw new Error(`shortening failed: ${shortened.status} ${await shortened.text()}`);
    const { code } = (await shortened.json()) as { code: string };
    rows.push([
      'redirect',
      'gateway → daprd → daprd → links',
      await load(
        'redirect via gateway',
        http(
          () => fetch(`${gateway}/s/${code}`, { redirect: 'manual' }),
          (r) => r.status === 302,
        ),
      ),
    ]);
    const links = new LinksServiceClient(`127.0.0.1:${servicePorts('links').app}`, grpc.credentials.createInsecure());
    const linksToken = new grpc.Metadata();
    linksToken.set('dapr-api-token', stack.tokens.appApiToken);
    try {
      rows.push([
        'redirect',
        'links directly (ResolveURL)',
        await load(
          'redirect direct',
          () =>
            new Promise<Outcome>((resolve) =>
              links.resolveUrl({ code, referrer: '', userAgent: 'bench' }, linksToken, (err: grpc.ServiceError | null) =>
                resolve(err ? { ok: false, failure: String(grpc.status[err.code]) } : { ok: true }),
              ),
            ),
        ),
      ]);
    } finally {
      links.close();
    }

    // QR codes: new content on every request renders; the same request again is a cache hit.
    const run = randomBytes(4).toString('hex');
    let serial = 0;
    const qr = (format: 'png' | 'svg', content: () => string) =>
      http(() =>
        fetch(`${gateway}/api/qr`, {
          method: 'POST',
          headers: { ...json, ...bearer },
          body: JSON.stringify({ content: content(), format }),
        }),
      );
    const fresh = () => `https://meshmart.local/bench/${run}/${serial++}`;
    rows.push(['QR PNG', 'gateway → qr, new content each', await load('QR PNG generation', qr('png', fresh))]);
    rows.push(['QR SVG', 'gateway → qr, new content each', await load('QR SVG generation', qr('svg', fresh))]);
    rows.push([
      'QR PNG',
      'gateway → qr, same content (cache)',
      await load(
        'QR PNG cache hits',
        qr('png', () => `https://meshmart.local/bench/${run}/cached`),
      ),
    ]);

    // Last, because a gRPC app restarted under its running sidecar may not be reachable through it again.
    const startup = new Map<string, number>();
    for (const name of stack.services) {
      process.stderr.write(`  restarting ${name} ${starts}× for its start-up time … `);
      const times: number[] = [];
      for (let i = 0; i < starts; i++) times.push(await startupMs(stack, name));
      startup.set(name, Math.min(...times));
      process.stderr.write(`${times.map((ms) => fmt(ms, 0)).join(', ')} ms\n`);
    }

    const out: string[] = [];
    out.push(`\nmeshmart bench — ${seconds}s per scenario, ${concurrency} concurrent clients, loopback, one machine`);
    out.push('');
    out.push(
      `${'scenario'.padEnd(8)} ${'path'.padEnd(44)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`,
    );
    for (const [scenario, path, r] of rows) {
      out.push(
        `${scenario.padEnd(8)} ${path.padEnd(44)} ${fmt(r.perSecond).padStart(8)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)} ${String(r.errors).padStart(7)}`,
      );
    }
    for (const [scenario, path, r] of rows) {
      if (r.errors > 0) out.push(`  ${scenario} via ${path}: failed with ${JSON.stringify(r.failures)}`);
    }
    out.push('');
    // Each "directly" row is the twin of the row before it: the same handler without the sidecar hops.
    for (let i = 1; i < rows.length; i++) {
      const [scenario, path, direct] = rows[i] as [string, string, Result];
      if (!path.includes('directly')) continue;
      const viaMesh = (rows[i - 1] as [string, string, Result])[2];
      out.push(
        `${scenario}: sidecar path / direct = ${fmt(direct.perSecond / viaMesh.perSecond, 2)}× fewer req/s, p50 ${fmt(viaMesh.p50 / direct.p50, 2)}×, p99 ${fmt(viaMesh.p99 / direct.p99, 2)}×`,
      );
    }
    out.push('');
    const verdict = (ok: boolean) => (ok ? 'within budget' : 'OVER BUDGET');
    const minRate = 4 * CHECKOUTS_PER_SECOND_BEFORE;
    out.push('budgets');
    out.push(
      `  checkout p50, one client             ${fmt(checkoutAlone.p50, 1).padStart(8)} ms   budget <= ${CHECKOUT_P50_BUDGET_MS} ms   ${verdict(checkoutAlone.p50 <= CHECKOUT_P50_BUDGET_MS)}`,
    );
    out.push(
      `  checkouts/s, ${buyers.length} buyers               ${fmt(checkoutBusy.perSecond, 1).padStart(8)} /s   budget >= ${fmt(minRate, 1)}/s (4 × ${CHECKOUTS_PER_SECOND_BEFORE}/s)   ${verdict(checkoutBusy.perSecond >= minRate)}`,
    );
    out.push(
      `  Reserve p50 in-process, ${SETTLED_RESERVATIONS} settled ${fmt(reserve.p50, 2).padStart(8)} ms   budget <= ${RESERVE_P50_BUDGET_MS} ms   ${verdict(reserve.p50 <= RESERVE_P50_BUDGET_MS)}  (p99 ${fmt(reserve.p99, 2)} ms, ${reserve.samples} Reserves of 2 lines)`,
    );
    out.push('');
    out.push(`idle resident memory (VmRSS) and start-up time (process start → /healthz answering, best of ${starts})`);
    for (const p of memory) {
      const ms = startup.get(p.name);
      out.push(`  ${p.name.padEnd(20)} ${fmt(p.rss).padStart(7)} MiB${ms === undefined ? '' : `  ${fmt(ms, 0).padStart(6)} ms`}`);
    }
    out.push(`  ${'total'.padEnd(20)} ${fmt(memory.reduce((s, p) => s + p.rss, 0)).padStart(7)} MiB`);
    process.stdout.write(`${out.join('\n')}\n`);
    if (rows.some(([, , r]) => r.errors > 0)) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

await main();
