/**
 * The one way from an app into its own Dapr sidecar: service invocation, pub/sub (one
 * event or a bulk), state with ETags, output bindings, secrets and configuration. Each
 * building block goes the way that keeps what the app needs, measured in
 * `tools/stack/test/dapr-sdk.int.test.ts` and written down in the kit's README: the
 * sidecar's HTTP API by hand for invocation, pub/sub, state and bindings; the Dapr SDK
 * for secrets; grpc-js with the SDK's generated messages for configuration. Every call
 * sends DAPR_API_TOKEN and is measured (`dapr_client_requests_total`).
 */
import { randomBytes } from 'node:crypto';
import type { DaprClient } from '@dapr/dapr';
import { isProblemBody, Problem, problemFromBody, problems } from './errors.ts';
import { daprClientMetrics, secondsSince } from './metrics.ts';
import { SidecarError } from './outages.ts';
import { type ConfigurationHandlers, type ConfigurationSubscription, SidecarConfiguration } from './sidecar-configuration.ts';
import { type SidecarExchange, sidecarExchange } from './sidecar-http.ts';

export type { ConfigurationHandlers, ConfigurationSubscription } from './sidecar-configuration.ts';

export interface SidecarOptions {
  daprHttpPort: number;
  /** Only for configuration, which Dapr serves as a stream over gRPC alone. */
  daprGrpcPort?: number | undefined;
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

/** A socket error, as node:http reports it or fetch wraps it in its `cause`. */
function isConnectionFailure(err: unknown): boolean {
  const { code: own, cause } = err as { code?: string; cause?: { code?: string } };
  const code = own ?? cause?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

/**
 * A typed error for a failed building-block call, so that callers (and the kit's error
 * handling) can tell a store or broker behind the sidecar that is down (5xx) from a
 * request the sidecar refused.
 */
function sidecarError(what: string, { status, text }: Pick<SidecarExchange, 'status' | 'text'>): SidecarError {
  let errorCode: string | undefined;
  try {
    const parsed = JSON.parse(text) as { errorCode?: unknown };
    if (typeof parsed.errorCode === 'string') errorCode = parsed.errorCode;
  } catch {
    // Not JSON: the status alone has to do.
  }
  return new SidecarError(`${what} failed: ${status} ${text}`, status, errorCode);
}

const isOk = ({ status }: SidecarExchange) => status >= 200 && status < 300;

/**
 * A trace context marked not sampled, for calls to daprd that are not traffic (probes):
 * without it daprd starts a sampled trace of its own for each.
 */
function unsampledTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

export interface BindingRequest {
  operation: string;
  data?: unknown;
  /** Per-request metadata; the binding merges it over its component metadata. */
  metadata?: Record<string, string>;
}

/** The sidecar or the bound system refused or failed an output binding call. */
export class BindingError extends Error {
  override name = 'BindingError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Counts a call and its time under `dapr_client_*`, with the outcome `run` reports through `done`. */
async function measured<T>(target: string, operation: string, run: (done: (outcome: string) => void) => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  let outcome = 'error';
  try {
    return await run((o) => {
      outcome = o;
    });
  } finally {
    daprClientMetrics().record({ target, operation, outcome }, secondsSince(started));
  }
}

/** The clients a sidecar facade opens on first use, shared by its `withTimeout` views. */
interface LazyClients {
  sdk?: Promise<DaprClient>;
  configuration?: SidecarConfiguration;
}

export class Sidecar {
  readonly base: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly options: SidecarOptions,
    private readonly lazy: LazyClients = {},
  ) {
    this.base = `http://127.0.0.1:${options.daprHttpPort}`;
    this.token = options.daprApiToken;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The same sidecar with another default deadline (e.g. a cache that must answer fast or be skipped). */
  withTimeout(timeoutMs: number): Sidecar {
    return new Sidecar({ ...this.options, timeoutMs }, this.lazy);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.token && { 'dapr-api-token': this.token }) };
  }

  /** Turns an unreachable or slow hop to `appId` into 503 or 504, so a caller never hangs on a dead hop. */
  private invocationFailure(appId: string, timeoutMs: number, err: unknown, done: (outcome: string) => void): unknown {
    if (err instanceof Problem) return err;
    if ((err as Error).name === 'TimeoutError') {
      done('timeout');
      return problems.timeout(`${appId} did not answer within ${timeoutMs} ms`, err);
    }
    if (isConnectionFailure(err) || (err as Error).name === 'TypeError') {
      done('unreachable');
      return problems.unavailable(`${appId} is unavailable: the Dapr sidecar cannot be reached`, err);
    }
    return err;
  }

  /**
   * Invokes `path` on `appId`. Upstream problem+json errors are rethrown as the same
   * Problem with their Retry-After and WWW-Authenticate; an unreachable sidecar or callee
   * becomes 503, a slow one 504.
   */
  invoke(appId: string, path: string, request: InvokeRequest = {}): Promise<InvokeResponse> {
    const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    return measured(appId, 'invoke', async (done) => {
      try {
        const response = await sidecarExchange(`${this.base}/${path.replace(/^\//, '')}`, {
          method,
          headers: this.headers({
            'dapr-app-id': appId,
            ...(request.body !== undefined && { 'content-type': 'application/json' }),
            ...request.headers,
          }),
          ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
          timeoutMs,
        });
        const { text } = response;
        let body: unknown = text;
        if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
        done(String(response.status));
        if (isOk(response)) {
          return { status: response.status, headers: response.headers, body };
        }
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
        throw this.invocationFailure(appId, timeoutMs, err, done);
      }
    });
  }

  /**
   * Invokes `path` on `appId` and hands back the callee's response as it is (status,
   * headers, body bytes), for passing files through. Like `invoke`, a sidecar that
   * cannot be reached is a 503 and a slow one a 504; the callee's own statuses are not
   * errors here.
   */
  invokeRaw(appId: string, path: string, request: Omit<InvokeRequest, 'body'> = {}): Promise<Response> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    return measured(appId, 'invoke', async (done) => {
      try {
        const response = await fetch(`${this.base}/${path.replace(/^\//, '')}`, {
          method: request.method ?? 'GET',
          headers: this.headers({ 'dapr-app-id': appId, ...request.headers }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        done(String(response.status));
        // daprd answers for a callee it cannot reach with its own JSON error, not problem+json.
        if (response.status >= 500 && !(response.headers.get('content-type') ?? '').includes('problem+json')) {
          const detail = await response.text();
          throw problems.unavailable(`${appId} is unavailable (${response.status} from the Dapr sidecar)`, detail);
        }
        return response;
      } catch (err) {
        throw this.invocationFailure(appId, timeoutMs, err, done);
      }
    });
  }

  /**
   * Publishes through the sidecar's HTTP API. `traceparent` continues the trace that
   * produced the event, even when an outbox relay publishes it later.
   */
  publish(
    pubsub: string,
    topic: string,
    data: unknown,
    options: { traceparent?: string; tracestate?: string; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    const query = new URLSearchParams(
      Object.entries(options.metadata ?? {}).map(([k, v]): [string, string] => [`metadata.${k}`, v]),
    ).toString();
    return measured(pubsub, 'publish', async (done) => {
      const response = await sidecarExchange(
        `${this.base}/v1.0/publish/${pubsub}/${encodeURIComponent(topic)}${query ? `?${query}` : ''}`,
        {
          method: 'POST',
          headers: this.headers({
            'content-type': 'application/json',
            ...(options.traceparent && { traceparent: options.traceparent }),
            ...(options.tracestate && { tracestate: options.tracestate }),
          }),
          body: JSON.stringify(data),
          timeoutMs: this.timeoutMs,
        },
      );
      done(String(response.status));
      if (!isOk(response)) throw sidecarError(`publish to ${topic}`, response);
    });
  }

  /** Reads a state entry with its ETag. */
  async getState<T>(store: string, key: string): Promise<{ value: T | undefined; etag: string | undefined }> {
    const response = await this.stateCall(`${store}/${encodeURIComponent(key)}`, 'GET');
    if (response.status === 204) return { value: undefined, etag: undefined };
    return { value: JSON.parse(response.text) as T, etag: response.headers.get('etag') ?? undefined };
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
    const response = await this.stateCall(store, 'POST', JSON.stringify([item]), [409]);
    return response.status !== 409;
  }

  async deleteState(store: string, key: string): Promise<void> {
    await this.stateCall(`${store}/${encodeURIComponent(key)}`, 'DELETE');
  }

  private stateCall(
    path: string,
    method: 'GET' | 'POST' | 'DELETE',
    body?: string,
    expectedFailures: number[] = [],
  ): Promise<SidecarExchange> {
    const target = path.split('/')[0] ?? 'state';
    return measured(target, `state_${method.toLowerCase()}`, async (done) => {
      try {
        const response = await sidecarExchange(`${this.base}/v1.0/state/${path}`, {
          method,
          headers: this.headers({ 'content-type': 'application/json' }),
          ...(body !== undefined && { body }),
          timeoutMs: this.timeoutMs,
        });
        done(String(response.status));
        if (!isOk(response) && !expectedFailures.includes(response.status)) {
          throw sidecarError(`state ${method} ${path}`, response);
        }
        return response;
      } catch (err) {
        if (isConnectionFailure(err)) throw problems.unavailable('the Dapr sidecar cannot be reached', err);
        throw err;
      }
    });
  }

  /** Calls an output binding (e.g. `smtp`); resolves with its answer, parsed when JSON, undefined when empty. */
  async invokeBinding(name: string, request: BindingRequest): Promise<unknown> {
    const { body, contentType } = await this.bindingCall(name, request);
    if (body.length === 0) return undefined;
    const text = body.toString('utf8');
    return contentType.includes('json') ? JSON.parse(text) : text;
  }

  /**
   * Calls an output binding and resolves with its answer as bytes, for bindings that
   * answer with file contents (e.g. localstorage `get`), which a text decode would corrupt.
   */
  async invokeBindingForBytes(name: string, request: BindingRequest): Promise<Buffer> {
    return (await this.bindingCall(name, request)).body;
  }

  private bindingCall(name: string, request: BindingRequest): Promise<{ body: Buffer; contentType: string }> {
    return measured(name, `binding_${request.operation}`, async (done) => {
      let response: Response;
      try {
        response = await fetch(`${this.base}/v1.0/bindings/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: this.headers({ 'content-type': 'application/json' }),
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const outcome = (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
        done(outcome);
        throw new BindingError(`binding ${name}: the Dapr sidecar did not answer (${outcome})`, undefined, { cause: err });
      }
      const body = Buffer.from(await response.arrayBuffer());
      done(String(response.status));
      if (!response.ok) {
        throw new BindingError(`binding ${name} failed: ${response.status} ${body.toString('utf8')}`, response.status);
      }
      return { body, contentType: response.headers.get('content-type') ?? '' };
    });
  }

  /**
   * The Dapr SDK client, for the building blocks it serves as well as a hand-written
   * call would (secrets). Loaded on first use: importing it costs every process tens of
   * MiB (see the kit's README), so a service that reads no secret never pays.
   */
  private client(): Promise<DaprClient> {
    this.lazy.sdk ??= import('@dapr/dapr').then(
      ({ CommunicationProtocolEnum, DaprClient }) =>
        new DaprClient({
          daprHost: '127.0.0.1',
          daprPort: String(this.options.daprHttpPort),
          communicationProtocol: CommunicationProtocolEnum.HTTP,
          ...(this.token && { daprApiToken: this.token }),
        }),
    );
    return this.lazy.sdk;
  }

  /** One secret's keys from a Dapr secret store. */
  secret(store: string, name: string): Promise<Record<string, string>> {
    return measured(store, 'secret_get', async (done) => {
      const client = await this.client();
      const secret = (await client.secret.get(store, name)) as Record<string, string>;
      done('200');
      return secret;
    });
  }

  private configuration(): SidecarConfiguration {
    const daprGrpcPort = this.options.daprGrpcPort;
    if (daprGrpcPort === undefined) throw new Error("configuration needs the sidecar's gRPC port (daprGrpcPort)");
    this.lazy.configuration ??= new SidecarConfiguration({ daprGrpcPort, daprApiToken: this.token });
    return this.lazy.configuration;
  }

  /** Current values of `keys` in a configuration store (value as stored, e.g. `on||3` for Redis). */
  getConfiguration(store: string, keys: string[]): Promise<Record<string, string>> {
    return measured(store, 'configuration_get', async (done) => {
      const items = await this.configuration().get(store, keys, this.timeoutMs);
      done('OK');
      return items;
    });
  }

  /**
   * Follows changes of `keys` in a configuration store. The subscription reports its own
   * end (sidecar restarted, store down) through `onEnd`; subscribing again is the caller's
   * policy.
   */
  subscribeConfiguration(store: string, keys: string[], handlers: ConfigurationHandlers): ConfigurationSubscription {
    return this.configuration().subscribe(store, keys, handlers);
  }

  /** Releases the gRPC channel of configuration calls, for shutdown. */
  close(): void {
    this.lazy.configuration?.close();
    this.lazy.configuration = undefined;
  }

  /**
   * Whether the sidecar's APIs work yet. Unlike /healthz this does not wait for the app
   * to listen, so an app can use its sidecar (secrets, config) while starting.
   */
  async outboundReady(): Promise<void> {
    const response = await fetch(`${this.base}/v1.0/healthz/outbound`, { signal: AbortSignal.timeout(1000) });
    if (response.status !== 204 && !response.ok) throw new Error(`sidecar outbound health ${response.status}`);
  }

  /**
   * Whether the sidecar passes calls on to `appId`, its own app. With app health checks
   * daprd counts the app down until a probe of it succeeds and refuses every call to it
   * meanwhile, so an app whose own checks pass can be out of reach through Dapr for up to a
   * probe interval. The probe's trace is marked unsampled: it is not traffic.
   */
  async passesCallsTo(appId: string): Promise<void> {
    const response = await fetch(`${this.base}/healthz`, {
      headers: this.headers({
        'dapr-app-id': appId,
        traceparent: unsampledTraceparent(),
      }),
      signal: AbortSignal.timeout(1000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the sidecar does not pass calls to ${appId} yet (${response.status})`);
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
