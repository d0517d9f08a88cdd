/** What the mesh did for one request: the trace's spans as a waterfall, by service and layer. */
import { call } from '../api.ts';
import type { TraceSpan, TraceView } from '../types.ts';
import { AsyncStatus, ColumnHeads, PageTitle, useAsync } from '../ui.tsx';

const LAYER_NAMES: Record<TraceSpan['layer'], string> = {
  app: 'app',
  http: 'HTTP',
  daprd: 'daprd',
  grpc: 'gRPC',
  pubsub: 'pub/sub',
  db: 'database',
};

function depths(spans: TraceSpan[]): Map<string, number> {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const of = (s: TraceSpan): number => {
    const known = depth.get(s.id);
    if (known !== undefined) return known;
    const parent = s.parentId ? byId.get(s.parentId) : undefined;
    const d = parent ? Math.min(of(parent) + 1, 24) : 0;
    depth.set(s.id, d);
    return d;
  };
  for (const s of spans) of(s);
  return depth;
}

export function TracePage({ traceId }: { traceId: string }) {
  const trace = useAsync((signal) => call<TraceView>('GET', `/api/admin/traces/${traceId}`, { auth: true, signal }), [traceId]);
  if (!trace.data) return <AsyncStatus of={trace} what="the trace" />;
  const t = trace.data;
  const depth = depths(t.spans);
  const total = Math.max(t.durationMs, 0.001);
  return (
    <div class="stack">
      <PageTitle>Trace {t.traceId.slice(0, 12)}</PageTitle>
      <p>
        {t.spans.length} spans over {t.durationMs.toFixed(1)} ms across{' '}
        <span data-testid="trace-services">{t.services.join(', ')}</span>.{' '}
        <button type="button" class="link" onClick={trace.reload}>
          Reload
        </button>{' '}
        (spans still arriving show up on reload)
        {t.jaegerUiUrl && (
          <>
            {' '}
            · <a href={t.jaegerUiUrl}>Open in Jaeger</a>
          </>
        )}
      </p>
      <ul class="legend" aria-label="Layers">
        {Object.entries(LAYER_NAMES).map(([k, v]) => (
          <li key={k}>
            <span class={`swatch layer-${k}`} /> {v}
          </li>
        ))}
      </ul>
      <table class="waterfall">
        <caption class="visually-hidden">Spans of the trace, in start order</caption>
        <ColumnHeads columns={['Service · span', 'Timeline', 'ms']} />
        <tbody>
          {t.spans.map((s) => {
            const left = (s.startMs / total) * 100;
            const width = Math.max((s.durationMs / total) * 100, 0.4);
            return (
              <tr key={s.id} class={s.error ? 'failed' : undefined}>
                <th scope="row" class={`indent-${Math.min(depth.get(s.id) ?? 0, 12)}`}>
                  <span class="service">{s.service}</span> <span class={`tag layer-${s.layer}`}>{LAYER_NAMES[s.layer]}</span>{' '}
                  <span title={s.detail}>{s.name}</span>
                  {s.error && <span class="error-text"> — {s.error}</span>}
                </th>
                <td class="bar-cell">
                  <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                    <rect x={left} y={1} width={Math.min(width, 100 - left)} height={8} class={`bar layer-${s.layer}`} />
                  </svg>
                </td>
                <td class="num">{s.durationMs.toFixed(1)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
