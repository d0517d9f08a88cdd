/**
 * Marks an http.Agent whose requests make their own client span (sidecar-http.ts), so
 * that OpenTelemetry's HTTP instrumentation leaves them alone (tracing.ts). A module of
 * its own so that tracing.ts can read the mark without importing node:http before
 * tracing starts.
 */
const OWN_CLIENT_SPANS = Symbol('meshmart.kit.own-client-spans');

export function markOwnClientSpans(agent: object): void {
  Reflect.set(agent, OWN_CLIENT_SPANS, true);
}

/** For the instrumentation's ignore hook: the request's options name a marked agent. */
export function makesOwnClientSpans(options: { agent?: unknown }): boolean {
  const { agent } = options;
  return typeof agent === 'object' && agent !== null && Reflect.get(agent, OWN_CLIENT_SPANS) === true;
}
