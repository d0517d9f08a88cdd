/**
 * "Customers also bought" under a product: what the recommendations read model answers,
 * each item saying why it is there. The model learns from paid orders, so a new store
 * has nothing to say yet, and the page says so instead of showing an empty box.
 */
import { call } from '../api.ts';
import type { Recommendation, RecommendationList } from '../types.ts';
import { AsyncStatus, Link, money, useAsync } from '../ui.tsx';

const WHY: Record<Recommendation['source'], string> = {
  bought_together: 'Bought together',
  category_best_seller: 'Best-seller in this category',
  best_seller: 'Best-seller',
};

export function Recommendations({ productId }: { productId: string }) {
  const list = useAsync(
    (signal) =>
      call<RecommendationList>('GET', `/api/products/${encodeURIComponent(productId)}/recommendations?limit=4`, { signal }),
    [productId],
  );
  return (
    <section class="recommendations" aria-labelledby="recommendations-title" data-testid="recommendations">
      <h2 id="recommendations-title">Customers also bought</h2>
      <AsyncStatus of={list} what="recommendations" />
      {list.data && list.data.items.length === 0 && (
        <p class="muted" data-testid="recommendations-empty">
          Nothing to recommend yet: suggestions appear once orders are paid.
        </p>
      )}
      {list.data && list.data.items.length > 0 && (
        <ul class="grid">
          {list.data.items.map((r) => (
            <li key={r.productId} class="card">
              <h3>
                <Link href={`/products/${encodeURIComponent(r.productId)}`}>{r.name}</Link>
              </h3>
              <p class="price">{money(r.priceMinor, r.currency)}</p>
              <p class="muted" data-testid="recommendation-reason">
                {WHY[r.source]}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
