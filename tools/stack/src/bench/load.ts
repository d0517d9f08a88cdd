/**
 * The bench's two ways of sending load. Closed loop: a fixed number of clients, each
 * sending its next request when the last one answered (throughput at a concurrency).
 * Open loop: requests start at a fixed arrival rate whether or not earlier ones have
 * answered, and each latency counts from when its request was due, so queueing in the
 * stack shows in p99 instead of slowing the arrivals down.
 */
import { sleep } from '../processes.ts';

/** What one request came to: fine, or the status (or 'network') that explains the error. */
export type Outcome = { ok: true } | { ok: false; failure: string };

export interface Result {
  requests: number;
  errors: number;
  /** Status (or 'network') of failed requests, so an error count can be explained. */
  failures: Record<string, number>;
  perSecond: number;
  p50: number;
  p99: number;
}

/** An HTTP request counts as fine when `ok` says so (default: a 2xx answer). */
export function http(send: () => Promise<Response>, ok = (r: Response) => r.ok): () => Promise<Outcome> {
  return async () => {
    const res = await send().catch(() => undefined);
    await res?.arrayBuffer();
    if (res && ok(res)) return { ok: true };
    return { ok: false, failure: res ? String(res.status) : 'network' };
  };
}

/** The p-th percentile of values sorted ascending (nearest rank); NaN for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

class Recorder {
  readonly latencies: number[] = [];
  errors = 0;
  readonly failures: Record<string, number> = {};

  record(outcome: Outcome, ms: number): void {
    if (!outcome.ok) {
      this.errors++;
      this.failures[outcome.failure] = (this.failures[outcome.failure] ?? 0) + 1;
    }
    this.latencies.push(ms);
  }

  result(elapsedSeconds: number): Result {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      requests: sorted.length,
      errors: this.errors,
      failures: this.failures,
      perSecond: sorted.length / elapsedSeconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  }
}

export async function closedLoop(
  label: string,
  opts: { seconds: number; concurrency: number },
  send: () => Promise<Outcome>,
): Promise<Result> {
  process.stderr.write(`  ${label}: ${opts.concurrency} client(s) for ${opts.seconds}s … `);
  const recorder = new Recorder();
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        recorder.record(await send(), performance.now() - t0);
      }
    }),
  );
  const result = recorder.result((performance.now() - started) / 1000);
  process.stderr.write(`${result.requests} requests\n`);
  return result;
}

export async function openLoop(
  label: string,
  opts: { seconds: number; rate: number },
  send: () => Promise<Outcome>,
): Promise<Result> {
  process.stderr.write(`  ${label}: ${opts.rate} requests/s arriving for ${opts.seconds}s … `);
  const recorder = new Recorder();
  const total = Math.round(opts.rate * opts.seconds);
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    inFlight.push(send().then((outcome) => recorder.record(outcome, performance.now() - due)));
  }
  await Promise.all(inFlight);
  const result = recorder.result((performance.now() - started) / 1000);
  process.stderr.write(`${result.requests} requests\n`);
  return result;
}
