/** Browsing by category, and one product with its stock. */
import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { addToCart } from '../cart.ts';
import type { CategoryList, Product, ProductPage } from '../types.ts';
import { AsyncStatus, Link, money, PageTitle, useAsync } from '../ui.tsx';
import { Recommendations } from './recommendations.tsx';

export function StorePage({ category }: { category: string | null }) {
  const categories = useAsync((signal) => call<CategoryList>('GET', '/api/categories', { signal }), []);
  const query = new URLSearchParams({ limit: '24', sort: 'name', ...(category && { category }) });
  const products = useAsync((signal) => call<ProductPage>('GET', `/api/products?${query}`, { signal }), [category]);
  const current = categories.data?.items.find((c) => c.id === category);
  return (
    <div class="store">
      <nav class="categories" aria-label="Categories">
        <h2>Categories</h2>
        <AsyncStatus of={categories} what="categories" />
        <ul>
          <li>
            <Link href="/" aria-current={category === null ? 'page' : undefined}>
              Everything
            </Link>
          </li>
          {categories.data?.items.map((c) => (
            <li key={c.id}>
              <Link href={`/?category=${encodeURIComponent(c.id)}`} aria-current={c.id === category ? 'page' : undefined}>
                {c.name} <span class="muted">({c.productCount})</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <section class="products" aria-labelledby="products-title">
        <PageTitle>
          <span id="products-title">{current ? current.name : 'All products'}</span>
        </PageTitle>
        <AsyncStatus of={products} what="products" />
        {products.data && products.data.items.length === 0 && <p>Nothing here yet.</p>}
        <ul class="grid">
          {products.data?.items.map((p) => (
            <li key={p.id} class="card product-card">
              <h2>
                <Link href={`/products/${encodeURIComponent(p.id)}`}>{p.name}</Link>
              </h2>
              <p class="muted">{p.description}</p>
              <p class="price">{money(p.priceMinor, p.currency)}</p>
              <p class={p.stock > 0 ? 'stock' : 'stock out'}>{p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}</p>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

export function ProductDetailPage({ id }: { id: string }) {
  const product = useAsync((signal) => call<Product>('GET', `/api/products/${encodeURIComponent(id)}`, { signal }), [id]);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState(false);
  if (!product.data) return <AsyncStatus of={product} what="the product" />;
  const p = product.data;
  return (
    <article class="product">
      <p>
        <Link href={`/?category=${encodeURIComponent(p.category)}`}>← {p.category}</Link>
      </p>
      <PageTitle>{p.name}</PageTitle>
      <p>{p.description}</p>
      <p class="price">{money(p.priceMinor, p.currency)}</p>
      <p class={p.stock > 0 ? 'stock' : 'stock out'} data-testid="stock">
        {p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}
      </p>
      {Object.keys(p.attributes).length > 0 && (
        <dl class="attributes">
          {Object.entries(p.attributes).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          addToCart(p.id, p.name, quantity);
          setAdded(true);
        }}
      >
        <label class="field inline">
          <span>Quantity</span>
          <input
            type="number"
            min={1}
            max={Math.max(1, p.stock)}
            value={quantity}
            onInput={(e) => setQuantity(Math.max(1, Number(e.currentTarget.value) || 1))}
          />
        </label>
        <button type="submit" disabled={p.stock === 0}>
          Add to cart
        </button>
      </form>
      {added && (
        <p role="status">
          Added. <Link href="/cart">Go to the cart</Link>
        </p>
      )}
      <Recommendations productId={p.id} />
    </article>
  );
}
