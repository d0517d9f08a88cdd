/**
 * The admin's pages: the analytics dashboard with charts over a chosen range, and product
 * and stock management. Loaded on demand, so the charting library is not part of the
 * first page's JavaScript.
 */
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { call } from '../api.ts';
import type { CategoryList, Dashboard, Product, ProductPage } from '../types.ts';
import {
  AsyncStatus,
  BodyRows,
  ColumnHeads,
  ErrorBox,
  Field,
  Link,
  Loading,
  money,
  PageTitle,
  TextField,
  useAction,
  useAsync,
} from '../ui.tsx';

const RANGES = [
  { id: '24h', label: 'Last 24 hours', hours: 24, granularity: 'hour' },
  { id: '7d', label: 'Last 7 days', hours: 24 * 7, granularity: 'day' },
  { id: '30d', label: 'Last 30 days', hours: 24 * 30, granularity: 'day' },
] as const;

function Chart({
  title,
  x,
  series,
}: {
  title: string;
  x: number[];
  series: Array<{ label: string; values: number[]; color: string }>;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: x.length < 40 } }))],
        axes: [{}, { size: 50 }],
        scales: { x: { time: true } },
      },
      [x, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series]);
  return (
    <figure class="chart card">
      <figcaption>{title}</figcaption>
      <div
        ref={box}
        role="img"
        aria-label={`${title}: ${series.map((s) => `${s.label} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ')}`}
      />
    </figure>
  );
}

function revenueOf(money: Dashboard['totals']['revenue']): number {
  return money.reduce((sum, m) => sum + m.minor, 0) / 100;
}

type Point = Dashboard['series'][number];

/** The dashboard's time-series charts: each line is one figure of every point of the series. */
const CHARTS: Array<{ title: string; series: Array<{ label: string; color: string; of: (p: Point) => number }> }> = [
  {
    title: 'Sign-ups and paid orders',
    series: [
      { label: 'Sign-ups', color: '#1d4ed8', of: (p) => p.signups },
      { label: 'Paid orders', color: '#15803d', of: (p) => p.ordersPaid },
    ],
  },
  { title: 'Revenue', series: [{ label: 'Revenue', color: '#b45309', of: (p) => revenueOf(p.revenue) }] },
  {
    title: 'Clicks and QR codes',
    series: [
      { label: 'Clicks', color: '#7c3aed', of: (p) => p.clicks },
      { label: 'QR codes', color: '#be123c', of: (p) => p.qrGenerated },
    ],
  },
];

export function DashboardPage() {
  const [rangeId, setRangeId] = useState<string>('24h');
  const [customFrom, setCustomFrom] = useState('');
  const [customTo, setCustomTo] = useState('');
  const range = RANGES.find((r) => r.id === rangeId);
  const query = new URLSearchParams();
  if (range) {
    query.set('from', new Date(Date.now() - range.hours * 3600_000).toISOString());
    query.set('granularity', range.granularity);
  } else if (customFrom && customTo) {
    query.set('from', new Date(customFrom).toISOString());
    query.set('to', new Date(customTo).toISOString());
    query.set('granularity', Date.parse(customTo) - Date.parse(customFrom) > 3 * 86400_000 ? 'day' : 'hour');
  }
  // The range is fixed when picked, not on every render.
  const key = range ? rangeId : `${customFrom}|${customTo}`;
  const dashboard = useAsync(
    (signal) => call<Dashboard>('GET', `/api/analytics/dashboard?${query}`, { auth: true, signal }),
    [key],
  );
  const d = dashboard.data;
  const x = d ? d.series.map((p) => Date.parse(p.start) / 1000) : [];
  return (
    <div class="stack">
      <PageTitle>Analytics</PageTitle>
      <p>
        <Link href="/admin/products">Products and stock</Link>
      </p>
      <fieldset class="row">
        <legend>Range</legend>
        {RANGES.map((r) => (
          <label key={r.id} class="inline">
            <input type="radio" name="range" checked={rangeId === r.id} onChange={() => setRangeId(r.id)} /> {r.label}
          </label>
        ))}
        <label class="inline">
          <input type="radio" name="range" checked={rangeId === 'custom'} onChange={() => setRangeId('custom')} /> Custom
        </label>
        {rangeId === 'custom' && (
          <>
            <Field label="From">
              <input type="datetime-local" value={customFrom} onChange={(e) => setCustomFrom(e.currentTarget.value)} />
            </Field>
            <Field label="To">
              <input type="datetime-local" value={customTo} onChange={(e) => setCustomTo(e.currentTarget.value)} />
            </Field>
          </>
        )}
      </fieldset>
      {dashboard.loading && <Loading what="the dashboard" />}
      <ErrorBox error={dashboard.error} retry={dashboard.reload} />
      {d && (
        <>
          <dl class="totals" data-testid="totals">
            <div class="card">
              <dt>Sign-ups</dt>
              <dd>{d.totals.signups}</dd>
            </div>
            <div class="card">
              <dt>Orders paid</dt>
              <dd data-testid="orders-paid">{d.totals.orders.paid}</dd>
            </div>
            <div class="card">
              <dt>Orders failed</dt>
              <dd>{d.totals.orders.failed}</dd>
            </div>
            <div class="card">
              <dt>Orders cancelled</dt>
              <dd>{d.totals.orders.cancelled}</dd>
            </div>
            <div class="card">
              <dt>Revenue</dt>
              <dd>{d.totals.revenue.map((m) => money(m.minor, m.currency)).join(' + ') || '—'}</dd>
            </div>
            <div class="card">
              <dt>Clicks</dt>
              <dd>{d.totals.clicks}</dd>
            </div>
            <div class="card">
              <dt>QR codes</dt>
              <dd>{d.totals.qrGenerated}</dd>
            </div>
          </dl>
          <div class="charts">
            {CHARTS.map((chart) => (
              <Chart
                key={chart.title}
                title={chart.title}
                x={x}
                series={chart.series.map(({ label, color, of }) => ({ label, color, values: d.series.map(of) }))}
              />
            ))}
            <figure class="chart card">
              <figcaption>Orders by outcome</figcaption>
              <ul class="bars">
                {(['paid', 'failed', 'cancelled', 'created'] as const).map((k) => {
                  const max = Math.max(1, d.totals.orders.created, d.totals.orders.paid);
                  return (
                    <li key={k}>
                      <span>{k}</span>
                      <meter min={0} max={max} value={d.totals.orders[k]} aria-label={`${k} orders`} />
                      <span>{d.totals.orders[k]}</span>
                    </li>
                  );
                })}
              </ul>
            </figure>
          </div>
          <div class="row top">
            <table>
              <caption>Top links</caption>
              <ColumnHeads columns={['Code', 'Clicks']} />
              <BodyRows items={d.topLinks} rowKey={(l) => l.code} cells={(l) => [l.code, l.clicks]} />
            </table>
            <table data-testid="top-products">
              <caption>Top products</caption>
              <ColumnHeads columns={['Product', 'Sold', 'Revenue']} />
              <BodyRows
                items={d.topProducts}
                rowKey={(p) => p.productId}
                cells={(p) => [p.name, p.quantity, p.revenue.map((m) => money(m.minor, m.currency)).join(' + ')]}
              />
            </table>
          </div>
        </>
      )}
    </div>
  );
}

export function ProductsAdminPage() {
  const products = useAsync((signal) => call<ProductPage>('GET', '/api/products?limit=100&sort=name', { signal }), []);
  const categories = useAsync((signal) => call<CategoryList>('GET', '/api/categories', { signal }), []);
  return (
    <div class="stack">
      <PageTitle>Products and stock</PageTitle>
      <p>
        <Link href="/admin">Analytics</Link>
      </p>
      <NewProduct categories={categories.data?.items.map((c) => c.id) ?? []} onSaved={products.reload} />
      <AsyncStatus of={products} what="products" />
      <table>
        <caption>Products</caption>
        <ColumnHeads columns={['Name', 'Category', 'Price', 'Stock']} />
        <BodyRows
          items={products.data?.items ?? []}
          rowKey={(p) => p.id}
          cells={(p) => [p.name, p.category, money(p.priceMinor, p.currency), <StockEditor product={p} />]}
        />
      </table>
    </div>
  );
}

function StockEditor({ product }: { product: Product }) {
  const [stock, setStock] = useState(product.stock);
  const [state, setState] = useState<'idle' | 'saving' | 'saved'>('idle');
  const [error, setError] = useState<unknown>(null);
  async function save(e: Event) {
    e.preventDefault();
    setState('saving');
    setError(null);
    try {
      await call('PUT', `/api/products/${encodeURIComponent(product.id)}/stock`, { auth: true, body: { stock } });
      setState('saved');
    } catch (err) {
      setError(err);
      setState('idle');
    }
  }
  return (
    <form class="row" onSubmit={save}>
      <input
        type="number"
        min={0}
        value={stock}
        aria-label={`Stock of ${product.name}`}
        onInput={(e) => setStock(Number(e.currentTarget.value))}
      />
      <button type="submit" class="secondary" disabled={state === 'saving'}>
        Set
      </button>
      {state === 'saved' && <span role="status">saved</span>}
      <ErrorBox error={error} />
    </form>
  );
}

function NewProduct({ categories, onSaved }: { categories: string[]; onSaved: () => void }) {
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  const [price, setPrice] = useState('');
  const [stock, setStock] = useState('10');
  const creating = useAction();
  const submit = creating.submit(async () => {
    // Stock is inventory's: it is set once catalog has the product.
    const created = await call<{ id: string }>('POST', '/api/products', {
      auth: true,
      body: { name, category, priceMinor: Math.round(Number(price) * 100), currency: 'EUR' },
    });
    await call('PUT', `/api/products/${encodeURIComponent(created.id)}/stock`, { auth: true, body: { stock: Number(stock) } });
    setName('');
    setPrice('');
    onSaved();
  });
  return (
    <form class="stack card" onSubmit={submit}>
      <h2>New product</h2>
      <div class="row">
        <TextField label="Name" value={name} onValue={setName} required />
        <Field label="Category">
          <input list="category-ids" value={category} onInput={(e) => setCategory(e.currentTarget.value)} required />
          <datalist id="category-ids">
            {categories.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </Field>
        <Field label="Price (EUR)">
          <input type="number" min={0} step="0.01" value={price} onInput={(e) => setPrice(e.currentTarget.value)} required />
        </Field>
        <Field label="Stock">
          <input type="number" min={0} value={stock} onInput={(e) => setStock(e.currentTarget.value)} required />
        </Field>
      </div>
      <ErrorBox error={creating.error} />
      <button type="submit">Create product</button>
    </form>
  );
}
