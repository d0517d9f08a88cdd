/** Short links: create, list, delete; each one's QR code and live click counter. */
import { useEffect, useState } from 'preact/hooks';
import { call, readEventStream, request } from '../api.ts';
import type { ClickEvent, LinkPage, Link as ShortLink } from '../types.ts';
import { AsyncStatus, download, ErrorBox, Link, Loading, PageTitle, TextField, useAction, useAsync, when } from '../ui.tsx';

export function LinksPage() {
  const links = useAsync((signal) => call<LinkPage>('GET', '/api/links?limit=50', { auth: true, signal }), []);
  const [selected, setSelected] = useState<string | null>(null);
  const removing = useAction();
  const chosen = links.data?.items.find((l) => l.code === selected) ?? null;

  const remove = (code: string) =>
    removing.run(async () => {
      await call('DELETE', `/api/links/${encodeURIComponent(code)}`, { auth: true });
      if (selected === code) setSelected(null);
      links.reload();
    });

  return (
    <div class="stack">
      <PageTitle>Short links</PageTitle>
      <p>
        <Link href="/qr/batch">Make many QR codes at once</Link>
      </p>
      <ShortenForm
        onCreated={(link) => {
          links.reload();
          setSelected(link.code);
        }}
      />
      <AsyncStatus of={links} what="your links" />
      <ErrorBox error={removing.error} />
      <div class="links-layout">
        <ul class="list" aria-label="Your links">
          {links.data?.items.map((l) => (
            <li key={l.code} class={l.code === selected ? 'card selected' : 'card'}>
              <div class="row spread">
                <button type="button" class="link" aria-pressed={l.code === selected} onClick={() => setSelected(l.code)}>
                  {l.shortUrl}
                </button>
                <button type="button" class="link danger" onClick={() => remove(l.code)} aria-label={`Delete ${l.code}`}>
                  Delete
                </button>
              </div>
              <p class="muted ellipsis">→ {l.url}</p>
              <p class="muted">
                {l.totalClicks} clicks{l.expiresAt && ` · expires ${when(l.expiresAt)}`}
              </p>
            </li>
          ))}
        </ul>
        {chosen && <LinkDetail key={chosen.code} link={chosen} />}
      </div>
    </div>
  );
}

function ShortenForm({ onCreated }: { onCreated: (link: ShortLink) => void }) {
  const [url, setUrl] = useState('');
  const [alias, setAlias] = useState('');
  const [expires, setExpires] = useState('');
  const shortening = useAction();

  const submit = shortening.submit(async () => {
    const link = await call<ShortLink>('POST', '/api/links', {
      auth: true,
      body: { url, ...(alias && { alias }), ...(expires && { expiresAt: new Date(expires).toISOString() }) },
    });
    setUrl('');
    setAlias('');
    setExpires('');
    onCreated(link);
  });

  return (
    <form class="stack" onSubmit={submit} aria-busy={shortening.busy}>
      <h2>Shorten a link</h2>
      <TextField
        label="Address to shorten"
        name="url"
        type="url"
        placeholder="https://example.com/spring-sale"
        value={url}
        onValue={setUrl}
        required
      />
      <div class="row">
        <TextField
          label="Alias (optional)"
          hint="3–64 letters, digits, _ or -"
          name="alias"
          value={alias}
          onValue={setAlias}
          pattern="[A-Za-z0-9_\-]{3,64}"
        />
        <TextField label="Expires (optional)" name="expires" type="datetime-local" value={expires} onValue={setExpires} />
      </div>
      <ErrorBox error={shortening.error} />
      <button type="submit" disabled={shortening.busy}>
        Shorten
      </button>
    </form>
  );
}

function LinkDetail({ link }: { link: ShortLink }) {
  return (
    <section class="card stack" aria-label={`Link ${link.code}`}>
      <h2>{link.code}</h2>
      <LiveCounter link={link} />
      <QrImage content={link.shortUrl} name={link.code} />
    </section>
  );
}

/** Click counts as links streams them: fetch with the token, read as server-sent events. */
function LiveCounter({ link }: { link: ShortLink }) {
  const [counts, setCounts] = useState<ClickEvent | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    const path = `/api/links/${encodeURIComponent(link.code)}/stats/stream`;
    setLive(true);
    readEventStream('GET', path, {
      auth: true,
      signal: controller.signal,
      onEvent: (event, data) => {
        if (event === 'clicks') setCounts(data as ClickEvent);
      },
    })
      .catch((err) => !controller.signal.aborted && setError(err))
      .finally(() => !controller.signal.aborted && setLive(false));
    return () => controller.abort();
  }, [link.code]);
  return (
    <div>
      <p class="counter" aria-live="polite">
        <span data-testid="click-count">{counts?.totalClicks ?? link.totalClicks}</span> clicks
        <span class="muted"> · {counts?.clicksLastMinute ?? 0} in the last minute</span>
        <span class={live ? 'live on' : 'live'}>{live ? 'live' : 'not live'}</span>
      </p>
      <ErrorBox error={error} />
    </div>
  );
}

/** A QR code as PNG or SVG, shown from a blob URL and downloadable as the file the API made. */
export function QrImage({ content, name }: { content: string; name: string }) {
  const [format, setFormat] = useState<'png' | 'svg'>('png');
  const [image, setImage] = useState<{ url: string; blob: Blob } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let url: string | null = null;
    const controller = new AbortController();
    setImage(null);
    setError(null);
    request('POST', '/api/qr', { auth: true, body: { content, format, size: 256 }, signal: controller.signal })
      .then((r) => r.blob())
      .then((blob) => {
        url = URL.createObjectURL(blob);
        setImage({ url, blob });
      })
      .catch((err) => !controller.signal.aborted && setError(err));
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [content, format]);
  return (
    <div class="qr">
      <fieldset class="row">
        <legend>QR format</legend>
        {(['png', 'svg'] as const).map((f) => (
          <label key={f} class="inline">
            <input type="radio" name={`format-${name}`} value={f} checked={format === f} onChange={() => setFormat(f)} />{' '}
            {f.toUpperCase()}
          </label>
        ))}
      </fieldset>
      {!image && !error && <Loading what="the QR code" />}
      <ErrorBox error={error} />
      {image && (
        <>
          <img src={image.url} width={256} height={256} alt={`QR code for ${content}`} data-testid="qr-image" />
          <button type="button" onClick={() => download(image.blob, `${name}.${format}`)}>
            Download {format.toUpperCase()}
          </button>
        </>
      )}
    </div>
  );
}
