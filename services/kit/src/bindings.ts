/**
 * Dapr output bindings through the app's own sidecar (`POST /v1.0/bindings/<name>`),
 * e.g. the `smtp` binding. Calls send DAPR_API_TOKEN, time out, and are measured like
 * every other sidecar call (`dapr_client_requests_total{operation="binding_<op>"}`).
 */
import { daprClientMetrics } from './metrics.ts';

export interface BindingsOptions {
  daprHttpPort: number;
  daprApiToken?: string | undefined;
  timeoutMs?: number;
}

export interface BindingRequest {
  operation: string;
  data?: unknown;
  /** Per-request metadata; the binding merges it over its component metadata. */
  metadata?: Record<string, string>;
}

/** The sidecar or the bound system refused or failed the call. */
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

export class OutputBindings {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: BindingsOptions) {
    this.base = `http://127.0.0.1:${options.daprHttpPort}/v1.0/bindings/`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Resolves with the binding's response body (parsed when JSON, undefined when empty). */
  async invoke(name: string, request: BindingRequest): Promise<unknown> {
    const { body, contentType } = await this.call(name, request);
    if (body.length === 0) return undefined;
    const text = body.toString('utf8');
    return contentType.includes('json') ? JSON.parse(text) : text;
  }

  /**
   * Resolves with the response body as bytes, for bindings that answer with file
   * contents (e.g. localstorage `get`), which a text decode would corrupt.
   */
  async invokeForBytes(name: string, request: BindingRequest): Promise<Buffer> {
    return (await this.call(name, request)).body;
  }

  private async call(name: string, request: BindingRequest): Promise<{ body: Buffer; contentType: string }> {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      let response: Response;
      try {
        response = await fetch(this.base + encodeURIComponent(name), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.options.daprApiToken && { 'dapr-api-token': this.options.daprApiToken }),
          },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        outcome = (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
        throw new BindingError(`binding ${name}: the Dapr sidecar did not answer (${outcome})`, undefined, { cause: err });
      }
      const body = Buffer.from(await response.arrayBuffer());
      outcome = String(response.status);
      if (!response.ok) {
        throw new BindingError(`binding ${name} failed: ${response.status} ${body.toString('utf8')}`, response.status);
      }
      return { body, contentType: response.headers.get('content-type') ?? '' };
    } finally {
      const labels = { target: name, operation: `binding_${request.operation}`, outcome };
      daprClientMetrics().requests.inc(labels);
      daprClientMetrics().duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
