/**
 * One HTTP/1.1 exchange with the app's own sidecar over kept-alive connections
 * (node:http), for the calls on request paths: service invocation, state and publish
 * (a redirect reads the link cache and its click is published). Node's fetch cost about
 * twice the CPU per call (a WHATWG Request, Headers, body stream and AbortSignal each
 * time). The HTTP instrumentation makes the client span and carries the trace context,
 * as the fetch instrumentation did.
 */
import http from 'node:http';

/**
 * Connections to the sidecar stay open between calls; each of a caller's parallel calls
 * gets its own. One idle for 4 s is closed from this side (fetch's default too), so a
 * sidecar closing an idle connection cannot race a new call onto it; a call in flight is
 * not affected (its deadline is the timer below).
 */
const agent = new http.Agent({ keepAlive: true, timeout: 4_000 });

export interface SidecarExchange {
  status: number;
  headers: Headers;
  text: string;
}

/** Like fetch's: the deadline passed before the whole answer came back. */
class SidecarTimeout extends Error {
  override name = 'TimeoutError';
}

export function sidecarExchange(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<SidecarExchange> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(() => {
      reject(new SidecarTimeout(`no answer from the sidecar within ${init.timeoutMs} ms`));
      req.destroy();
    }, init.timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(init.body);
  });
}
