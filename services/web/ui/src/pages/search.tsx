/** Product search: a box with suggestions as you type, and results with their facets. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.ts';
import { navigate } from '../router.ts';
import type { SearchResult, Suggestions } from '../types.ts';
import { ErrorBox, Link, Loading, money, PageTitle, useAsync } from '../ui.tsx';

/** The header's search box; suggestions come from search as the user types. */
export function SearchBox({ initial }: { initial: string }) {
  const [q, setQ] = useState(initial);
  const [suggestions, setSuggestions] = useState<string[]>([]);
  useEffect(() => setQ(initial), [initial]);
  useEffect(() => {
    const text = q.trim();
    if (text.length < 2) {
      setSuggestions([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      call<Suggestions>('GET', `/api/search/suggest?${new URLSearchParams({ q: text })}`, {
        signal: controller.signal,
        background: true,
      }).then(
        (s) => setSuggestions(s.suggestions),
        () => setSuggestions([]),
      );
    }, 150);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);
  return (
    <search class="search-box">
      <form
        class="search-box-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) navigate(`/search?${new URLSearchParams({ q: q.trim() })}`);
        }}
      >
        <label class="visually-hidden" for="search-input">
          Search products
        </label>
        <input
          id="search-input"
          type="search"
          placeholder="Search products"
          list="search-suggestions"
          autoComplete="off"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <datalist id="search-suggestions" data-testid="search-suggestions">
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <button type="submit">Search</button>
      </form>
    </search>
  );
}

/** Search's highlights are escaped text with <mark> around matches; rebuilt as nodes, never as HTML. */
function Highlighted({ html }: { html: string }) {
  const doc = new DOMParser().parseFromString(`<p>${html}</p>`, 'text/html');
  const parts: ComponentChildren[] = [];
  doc.body.firstChild?.childNodes.forEach((node, i) => {
    if (node.nodeName === 'MARK') parts.push(<mark key={i}>{node.textContent}</mark>);
    else parts.push(node.textContent);
  });
  return <>{parts}</>;
}

export function SearchPage({ params }: { params: URLSearchParams }) {
  const query = params.toString();
  const result = useAsync((signal) => call<SearchResult>('GET', `/api/search?${query}`, { signal }), [query]);
  const withParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    next.delete('page');
    return `/search?${next}`;
  };
  const r = result.data;
  return (
    <div class="store">
      <aside class="facets" aria-label="Refine">
        {r && (
          <>
            <h2>Category</h2>
            <ul>
              <li>
                <Link href={withParam('category', null)} aria-current={params.has('category') ? undefined : 'page'}>
                  Any
                </Link>
              </li>
              {r.facets.categories.map((c) => (
                <li key={c.category}>
                  <Link
                    href={withParam('category', c.category)}
                    aria-current={params.get('category') === c.category ? 'page' : undefined}
                  >
                    {c.category} <span class="muted">({c.count})</span>
                  </Link>
                </li>
              ))}
            </ul>
            <h2>Price</h2>
            <ul>
              {r.facets.priceBands.map((b) => {
                const href = withParam('minPrice', String(b.min));
                const bounded = b.max === null ? new URLSearchParams(href.split('?')[1]) : null;
                bounded?.delete('maxPrice');
                const target = b.max === null ? `/search?${bounded}` : `${href}&maxPrice=${b.max}`;
                return (
                  <li key={b.key}>
                    <Link href={target}>
                      {b.max === null ? `${money(b.min, 'EUR')} and up` : `${money(b.min, 'EUR')}–${money(b.max, 'EUR')}`}{' '}
                      <span class="muted">({b.count})</span>
                    </Link>
                  </li>
                );
              })}
            </ul>
            <h2>Stock</h2>
            <ul>
              <li>
                <Link href={withParam('inStock', params.get('inStock') === 'true' ? null : 'true')}>
                  {params.get('inStock') === 'true' ? 'Show all' : `In stock only (${r.facets.inStock.inStock})`}
                </Link>
              </li>
            </ul>
          </>
        )}
      </aside>
      <section aria-labelledby="search-title">
        <PageTitle>
          <span id="search-title">{params.get('q') ? `Results for “${params.get('q')}”` : 'Search'}</span>
        </PageTitle>
        {result.loading && <Loading what="results" />}
        <ErrorBox error={result.error} retry={result.reload} />
        {r && (
          <p class="muted" data-testid="search-total">
            {r.total} {r.total === 1 ? 'product' : 'products'}
          </p>
        )}
        <ul class="grid">
          {r?.items.map((p) => (
            <li key={p.id} class="card product-card">
              <h2>
                <Link href={`/products/${encodeURIComponent(p.id)}`}>
                  <Highlighted html={p.highlights.name} />
                </Link>
              </h2>
              <p class="muted">
                <Highlighted html={p.highlights.description} />
              </p>
              <p class="price">{money(p.priceMinor, p.currency)}</p>
              <p class={p.inStock ? 'stock' : 'stock out'}>{p.inStock ? 'In stock' : 'Out of stock'}</p>
            </li>
          ))}
        </ul>
        {r && r.total > r.page * r.pageSize && (
          <p>
            <Link href={`/search?${new URLSearchParams({ ...Object.fromEntries(params), page: String(r.page + 1) })}`}>
              Next page
            </Link>
          </p>
        )}
      </section>
    </div>
  );
}
