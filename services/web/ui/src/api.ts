/**
 * Every call to the gateway's REST API (same origin). Errors become `ApiError` carrying
 * the problem+json `detail` and field errors, which pages show as they are. The trace id
 * of every response is kept, so any page can open the trace of the call it just made.
 */

import { ApiError, type FieldError } from './problem.ts';
import { session } from './session.ts';
import { Store } from './store.ts';

export { ApiError, errorText } from './problem.ts';

export interface LastCall {
  method: string;
  path: string;
  status: number;
  traceId: string;
}

/** The most recent API calls that named their trace, newest first. */
export const recentCalls = new Store<LastCall[]>([]);
const RECENT = 8;

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the access token (refreshed first if it expired). */
  auth?: boolean;
  signal?: AbortSignal;
  /** A poll the page makes by itself: not the request the trace link should show. */
  background?: boolean;
}

async function problemOf(response: Response): Promise<ApiError> {
  const traceId = response.headers.get('x-trace-id');
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const body = (await response.json().catch(() => ({}))) as { detail?: string; title?: string; errors?: FieldError[] };
    return new ApiError(response.status, body.detail ?? body.title ?? `HTTP ${response.status}`, body.errors ?? [], traceId);
  }
  return new ApiError(response.status, `HTTP ${response.status} ${response.statusText}`, [], traceId);
}

/** One request; a 401 on an authenticated call refreshes the session once and retries. */
export async function request(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const send = async () => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.auth) {
      const token = await session.accessToken();
      if (!token) throw new ApiError(401, 'Please sign in first.');
      headers.authorization = `Bearer ${token}`;
    }
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        ...(options.signal && { signal: options.signal }),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.');
    }
    const traceId = response.headers.get('x-trace-id');
    // The trace view's own call would replace the request it is about.
    if (traceId && !options.background && !path.startsWith('/api/admin/traces/')) {
      recentCalls.value = [{ method, path, status: response.status, traceId }, ...recentCalls.value].slice(0, RECENT);
    }
    return response;
  };
  let response = await send();
  if (response.status === 401 && options.auth && (await session.refresh())) response = await send();
  if (!response.ok) throw await problemOf(response);
  return response;
}

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const response = await request(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/**
 * Reads a server-sent event stream with fetch, which (unlike EventSource) can send the
 * Authorization header. Calls `onEvent` for each event until the stream ends or `signal`
 * aborts; an `error` event carries a problem and ends the read with it.
 */
export async function readEventStream(
  method: string,
  path: string,
  options: CallOptions & { onEvent: (event: string, data: unknown) => void },
): Promise<void> {
  const response = await request(method, path, { ...options, headers: { ...options.headers, accept: 'text/event-stream' } });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new ApiError(response.status, 'The stream had no body.');
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length === 0) continue;
      const parsed: unknown = JSON.parse(data.join('\n'));
      if (event === 'error') {
        const problem = parsed as { status?: number; detail?: string };
        throw new ApiError(problem.status ?? 500, problem.detail ?? 'The stream failed.');
      }
      options.onEvent(event, parsed);
    }
  }
}
