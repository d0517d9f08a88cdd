/**
 * Calls from an app to its own Dapr sidecar. Service invocation goes over the sidecar's
 * HTTP port with the `dapr-app-id` header, so the response status and problem+json body
 * of the callee pass through untouched; state uses the Dapr SDK client. Every call sends
 * DAPR_API_TOKEN and is measured.
 */
import type { DaprClient } from '@dapr/dapr';
import { isProblemBody, Problem, problemFromBody, problems } from './errors.ts';
import { daprClientMetrics } from './metrics.ts';
import { SidecarError } from './outages.ts';

export interface SidecarOptions {
  daprHttpPort: number;
  daprApiToken?: string | undefined;
  /** Default time a call through the sidecar may take. */
  timeoutMs?: number;
}

export interface InvokeRequest {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface InvokeResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Headers of the caller's request that the callee should see. */
const FORWARDED = ['x-request-id', 'authorization', 'user-agent', 'accept-language'];

export function forwardedHeaders(incoming: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

function isConnectionFailure(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

/**
 * A typed error for a failed building-block call, so that callers (and the kit's error
 * handling) can tell a store or broker behind the sidecar that is down (5xx) from a
 * request the sidecar refused.
 */
async function sidecarError(what: string, response: Response): Promise<SidecarError> {
  const text = await response.text().catch(() => '');
  let errorCode: string | undefined;
  try {
    const parsed = JSON.parse(text) as { errorCode?: unknown };
    if (typeof parsed.errorCode === 'string') errorCode = parsed.errorCode;
  } catch {
    // Not JSON: the status alone has to do.
  }
  return new SidecarError(`${what} failed: ${response.status} ${text}`, response.status, errorCode);
}

export class Sidecar {
  readonly base: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private sdk: Promise<DaprClient> | undefined;

  constructor(private readonly options: SidecarOptions) {
    this.base = `http://127.0.0.1:${options.daprHttpPort}`;
    this.token = options.daprApiToken;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.token && { 'dapr-api-token': this.token }) };
  }

  /**
   * Invokes `path` on `appId`. Upstream problem+json errors are rethrown as the same
   * Problem; an unreachable sidecar or callee becomes 503, a slow one 504, so a caller
   * never hangs on a dead hop.
   */
  async invoke(appId: string, path: string, request: InvokeRequest = {}): Promise<InvokeResponse> {
    const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const response = await fetch(`${this.base}/${path.replace(/^\//, '')}`, {
        method,
        headers: this.headers({
          'dapr-app-id': appId,
          ...(request.body !== undefined && { 'content-type': 'application/json' }),
          ...request.headers,
        }),
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(request.timeoutMs ?? this.timeoutMs),
      });
      const text = await response.text();
      let body: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
      outcome = String(response.status);
      if (response.ok) return { status: response.status, headers: response.headers, body };
      if (isProblemBody(body)) {
        const passOn: Record<string, string> = {};
        for (const name of ['retry-after', 'www-authenticate']) {
          const v = response.headers.get(name);
          if (v) passOn[name] = v;
        }
        throw problemFromBody(body, passOn);
      }
      // Anything else is the sidecar speaking (e.g. ERR_DIRECT_INVOKE when the callee's
      // sidecar is gone), not the callee.
      throw problems.unavailable(`${appId} is unavailable (${response.status} from the Dapr sidecar)`, body);
    } catch (err) {
      if (err instanceof Problem) throw err;
      if ((err as Error).name === 'TimeoutError') {
        outcome = 'timeout';
        throw problems.timeout(`${appId} did not answer within ${request.timeoutMs ?? this.timeoutMs} ms`, err);
      }
      if (isConnectionFailure(err) || (err as Error).name === 'TypeError') {
        outcome = 'unreachable';
        throw problems.unavailable(`${appId} is unavailable: the Dapr sidecar cannot be reached`, err);
      }
      throw err;
    } finally {
      const labels = { target: appId, operation: 'invoke', outcome };
      daprClientMetrics().requests.inc(labels);
      daprClientMetrics().duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Invokes `path` on `appId` and hands back the callee's response as it is (status,
   * headers, body bytes), for passing files through. Like `invoke`, a sidecar that
   * cannot be reached is a 503 and a slow one a 504; the callee's own statuses are not
   * errors here.
   */
  async invokeRaw(appId: string, path: string, request: Omit<InvokeRequest, 'body'> = {}): Promise<Response> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const response = await fetch(`${this.base}/${path.replace(/^\//, '')}`, {
        method: request.method ?? 'GET',
        headers: this.headers({ 'dapr-app-id': appId, ...request.headers }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      outcome = String(response.status);
      // daprd answers for a callee it cannot reach with its own JSON error, not problem+json.
      if (response.status >= 500 && !(response.headers.get('content-type') ?? '').includes('problem+json')) {
        const detail = await response.text();
        throw problems.unavailable(`${appId} is unavailable (${response.status} from the Dapr sidecar)`, detail);
      }
      return response;
    } catch (err) {
      if (err instanceof Problem) throw err;
      if ((err as Error).name === 'TimeoutError') {
        outcome = 'timeout';
        throw problems.timeout(`${appId} did not answer within ${timeoutMs} ms`, err);
      }
      if (isConnectionFailure(err) || (err as Error).name === 'TypeError') {
        outcome = 'unreachable';
        throw problems.unavailable(`${appId} is unavailable: the Dapr sidecar cannot be reached`, err);
      }
      throw err;
    } finally {
      const labels = { target: appId, operation: 'invoke', outcome };
      daprClientMetrics().requests.inc(labels);
      daprClientMetrics().duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Publishes through the sidecar's HTTP API. `traceparent` continues the trace that
   * produced the event, even when an outbox relay publishes it later.
   */
  async publish(
    pubsub: string,
    topic: string,
    data: unknown,
    options: { traceparent?: string; tracestate?: string; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    const query = new URLSearchParams(
      Object.entries(options.metadata ?? {}).map(([k, v]): [string, string] => [`metadata.${k}`, v]),
    ).toString();
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const response = await fetch(
        `${this.base}/v1.0/publish/${pubsub}/${encodeURIComponent(topic)}${query ? `?${query}` : ''}`,
        {
          method: 'POST',
          headers: this.headers({
            'content-type': 'application/json',
            ...(options.traceparent && { traceparent: options.traceparent }),
            ...(options.tracestate && { tracestate: options.tracestate }),
          }),
          body: JSON.stringify(data),
          signal: AbortSignal.timeout(this.timeoutMs),
        },
      );
      outcome = String(response.status);
      if (!response.ok) throw await sidecarError(`publish to ${topic}`, response);
    } finally {
      const labels = { target: pubsub, operation: 'publish', outcome };
      daprClientMetrics().requests.inc(labels);
      daprClientMetrics().duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Reads a state entry with its ETag (the SDK's get drops the ETag). */
  async getState<T>(store: string, key: string): Promise<{ value: T | undefined; etag: string | undefined }> {
    const response = await this.stateCall(`${store}/${encodeURIComponent(key)}`, { method: 'GET' });
    if (response.status === 204) return { value: undefined, etag: undefined };
    return { value: (await response.json()) as T, etag: response.headers.get('etag') ?? undefined };
  }

  /**
   * Writes one entry. With an ETag the write succeeds only if nobody wrote since the read
   * and returns false on that conflict. `firstWrite` without an ETag is for keys that are
   * new by construction (random ids): stores such as Redis answer an existing key with a
   * 500, not a 409, so it is no way to test for existence.
   */
  async saveState(
    store: string,
    entry: { key: string; value: unknown; etag?: string | undefined; firstWrite?: boolean; ttlSeconds?: number },
  ): Promise<boolean> {
    const item = {
      key: entry.key,
      value: entry.value,
      ...(entry.etag !== undefined && { etag: entry.etag }),
      ...((entry.etag !== undefined || entry.firstWrite) && { options: { concurrency: 'first-write' } }),
      ...(entry.ttlSeconds !== undefined && { metadata: { ttlInSeconds: String(entry.ttlSeconds) } }),
    };
    const response = await this.stateCall(store, { method: 'POST', body: JSON.stringify([item]) }, [409]);
    return response.status !== 409;
  }

  async deleteState(store: string, key: string): Promise<void> {
    await this.stateCall(`${store}/${encodeURIComponent(key)}`, { method: 'DELETE' });
  }

  private async stateCall(path: string, init: RequestInit, expectedFailures: number[] = []): Promise<Response> {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const response = await fetch(`${this.base}/v1.0/state/${path}`, {
        ...init,
        headers: this.headers({ 'content-type': 'application/json' }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      outcome = String(response.status);
      if (!response.ok && !expectedFailures.includes(response.status)) {
        throw await sidecarError(`state ${init.method} ${path}`, response);
      }
      return response;
    } catch (err) {
      if (isConnectionFailure(err)) throw problems.unavailable('the Dapr sidecar cannot be reached', err);
      throw err;
    } finally {
      const labels = {
        target: path.split('/')[0] ?? 'state',
        operation: `state_${(init.method ?? 'GET').toLowerCase()}`,
        outcome,
      };
      daprClientMetrics().requests.inc(labels);
      daprClientMetrics().duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * The Dapr SDK client, for building blocks used rarely (secrets at start-up). Loaded on
   * first use: the SDK costs ~50 MB of memory in every process that imports it.
   */
  client(): Promise<DaprClient> {
    this.sdk ??= import('@dapr/dapr').then(
      ({ CommunicationProtocolEnum, DaprClient }) =>
        new DaprClient({
          daprHost: '127.0.0.1',
          daprPort: String(this.options.daprHttpPort),
          communicationProtocol: CommunicationProtocolEnum.HTTP,
          ...(this.token && { daprApiToken: this.token }),
        }),
    );
    return this.sdk;
  }

  /** One secret's keys from a Dapr secret store. */
  async secret(store: string, name: string): Promise<Record<string, string>> {
    const client = await this.client();
    return (await client.secret.get(store, name)) as Record<string, string>;
  }

  /**
   * Whether the sidecar's APIs work yet. Unlike /healthz this does not wait for the app
   * to listen, so an app can use its sidecar (secrets, config) while starting.
   */
  async outboundReady(): Promise<void> {
    const response = await fetch(`${this.base}/v1.0/healthz/outbound`, { signal: AbortSignal.timeout(1000) });
    if (response.status !== 204 && !response.ok) throw new Error(`sidecar outbound health ${response.status}`);
  }

  /** Names of the components the sidecar has loaded (its metadata API). */
  async loadedComponents(): Promise<string[]> {
    const response = await fetch(`${this.base}/v1.0/metadata`, {
      headers: this.headers(),
      signal: AbortSignal.timeout(1000),
    });
    if (!response.ok) throw new Error(`sidecar metadata ${response.status}`);
    const body = (await response.json()) as { components?: Array<{ name: string }> };
    return (body.components ?? []).map((c) => c.name);
  }

  /**
   * One read through a state store, outside the measured state calls so that probes do
   * not show up as traffic. A missing key answers 204; a store that cannot be reached, 500.
   */
  async stateStoreReachable(store: string): Promise<void> {
    const response = await fetch(`${this.base}/v1.0/state/${encodeURIComponent(store)}/readiness-probe`, {
      headers: this.headers(),
      signal: AbortSignal.timeout(1000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`state store ${store} answered ${response.status}`);
  }
}
