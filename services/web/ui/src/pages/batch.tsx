/** Many QR codes at once: progress as the qr service streams it, then a file listing them. */
import { useRef, useState } from 'preact/hooks';
import { readEventStream } from '../api.ts';
import type { QrProgress, QrSummary } from '../types.ts';
import { download, ErrorBox, Field, PageTitle } from '../ui.tsx';

const EXAMPLE = Array.from({ length: 50 }, (_, i) => `https://example.com/flyer/${i + 1}`).join('\n');

export function BatchPage() {
  const [text, setText] = useState(EXAMPLE);
  const [format, setFormat] = useState<'png' | 'svg'>('png');
  const [done, setDone] = useState(0);
  const [total, setTotal] = useState(0);
  const [summary, setSummary] = useState<QrSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const results = useRef<Array<{ content: string; progress: QrProgress }>>([]);
  const controller = useRef<AbortController | null>(null);

  async function start(e: Event) {
    e.preventDefault();
    const items = text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    results.current = [];
    setDone(0);
    setTotal(items.length);
    setSummary(null);
    setError(null);
    setRunning(true);
    controller.current = new AbortController();
    try {
      await readEventStream('POST', '/api/qr/batch', {
        auth: true,
        signal: controller.current.signal,
        body: { items: items.map((content) => ({ content })), options: { format } },
        onEvent: (event, data) => {
          if (event === 'progress') {
            const progress = data as QrProgress;
            results.current.push({ content: items[progress.index] ?? '', progress });
            setDone(results.current.length);
          } else if (event === 'summary') setSummary(data as QrSummary);
        },
      });
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(err);
    } finally {
      setRunning(false);
    }
  }

  function saveResult() {
    const origin = window.location.origin;
    const rows = results.current
      .sort((a, b) => a.progress.index - b.progress.index)
      .map(({ content, progress }) =>
        [
          progress.index + 1,
          JSON.stringify(content),
          progress.ok ? `${origin}/api/qr/${progress.id}` : '',
          progress.error ?? '',
        ].join(','),
      );
    download(new Blob([['#,content,image,error', ...rows].join('\n')], { type: 'text/csv' }), `qr-batch.${format}.csv`);
  }

  const percent = total === 0 ? 0 : Math.round((done / total) * 100);
  return (
    <form class="stack" onSubmit={start} aria-busy={running}>
      <PageTitle>QR codes in bulk</PageTitle>
      <Field label="One text or address per line (up to 500)">
        <textarea rows={8} value={text} onInput={(e) => setText(e.currentTarget.value)} required />
      </Field>
      <fieldset class="row">
        <legend>Format</legend>
        {(['png', 'svg'] as const).map((f) => (
          <label key={f} class="inline">
            <input type="radio" name="batch-format" value={f} checked={format === f} onChange={() => setFormat(f)} />{' '}
            {f.toUpperCase()}
          </label>
        ))}
      </fieldset>
      <div class="row">
        <button type="submit" disabled={running}>
          Generate
        </button>
        {running && (
          <button type="button" class="secondary" onClick={() => controller.current?.abort()}>
            Stop
          </button>
        )}
      </div>
      {total > 0 && (
        <div class="progress">
          <label for="batch-progress">
            {done} of {total} ({percent} %)
          </label>
          <progress id="batch-progress" max={total} value={done} aria-valuetext={`${percent} %`} data-testid="batch-progress" />
        </div>
      )}
      <ErrorBox error={error} />
      {summary && (
        <div role="status" class="card">
          <p>
            {summary.succeeded} made ({summary.cached} from the cache), {summary.failed} failed, in {summary.durationMs} ms.
          </p>
          <button type="button" onClick={saveResult}>
            Download the list (CSV)
          </button>
        </div>
      )}
    </form>
  );
}
