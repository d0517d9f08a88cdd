/**
 * Products and categories: reads for everyone, writes for admins. Each product write is a
 * new product revision carrying the event that announces it (versioned-store.ts), so a
 * change is never left unannounced. Lists read the heads; single reads, the newest revision.
 */
import { randomUUID } from 'node:crypto';
import { type EventData, problems } from '@meshmart/kit';
import { lowStockCounter } from './metrics.ts';
import type { CatalogModels, ProductState } from './models.ts';
import { type PendingEvent, pendingEvent } from './pending-events.ts';
import { productFilter, productSort } from './product-query.ts';
import { CATEGORY_ID, type CreateProductBody, type ListQuery, type ReplaceProductBody } from './schemas.ts';
import { type Current, isDuplicateKey, type VersionedStore } from './versioned-store.ts';
import { type CategoryView, categoryView, type ProductView, productView } from './views.ts';

/** `revision` is the product revision the event is written in. */
export function productData(
  id: string,
  p: Pick<ProductState, 'name' | 'category' | 'description' | 'priceMinor' | 'currency'>,
  revision: number,
  at: Date,
) {
  return {
    productId: id,
    name: p.name,
    category: p.category,
    description: p.description,
    priceMinor: p.priceMinor,
    currency: p.currency,
    revision,
    at: at.toISOString(),
  } satisfies EventData<'product.updated'>;
}

export function newProduct(body: CreateProductBody, now: Date): ProductState {
  return {
    ...body,
    sortName: body.name.toLowerCase(),
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    holds: [],
    returns: [],
  };
}

export class Products {
  constructor(
    private readonly models: CatalogModels,
    private readonly store: VersionedStore<ProductState>,
  ) {}

  async list(query: ListQuery): Promise<{ items: ProductView[]; total: number; limit: number; offset: number }> {
    const { sort, limit, offset, ...filters } = query;
    const filter = productFilter(filters);
    const [items, total] = await Promise.all([
      this.models.products
        .find(filter)
        .sort(productSort(sort))
        .skip(offset)
        .limit(limit)
        .lean<Array<ProductState & { _id: string }>>(),
      this.models.products.countDocuments(filter),
    ]);
    return { items: items.map((p) => productView(p._id, p)), total, limit, offset };
  }

  async get(id: string): Promise<ProductView> {
    const p = await this.store.latest(id);
    if (!p || p.state.deletedAt) throw problems.notFound(`no product ${id}`);
    return productView(id, p.state);
  }

  async create(body: CreateProductBody): Promise<ProductView> {
    await this.requireCategory(body.category);
    const now = new Date();
    const id = randomUUID();
    const state = newProduct(body, now);
    await this.store.append(id, null, state, [pendingEvent('product.created', productData(id, state, 1, now), now)]);
    return productView(id, state);
  }

  async replace(id: string, body: ReplaceProductBody): Promise<ProductView> {
    await this.requireCategory(body.category);
    return this.write(id, (p, revision, now) => {
      const next = { ...p, ...body, sortName: body.name.toLowerCase(), updatedAt: now };
      return { state: next, events: [pendingEvent('product.updated', productData(id, next, revision, now), now)] };
    });
  }

  async remove(id: string): Promise<void> {
    await this.write(id, (p, revision, now) => ({
      state: { ...p, deletedAt: now, updatedAt: now },
      events: [pendingEvent('product.deleted', { productId: id, revision, at: now.toISOString() }, now)],
    }));
  }

  /** Sets what can be reserved; falling to or below the threshold here also raises inventory.low_stock. */
  async setStock(id: string, stock: number, lowStockThreshold?: number): Promise<ProductView> {
    let enteredLowStock = false;
    const view = await this.write(id, (p, revision, now) => {
      const threshold = lowStockThreshold ?? p.lowStockThreshold;
      enteredLowStock = p.stock > p.lowStockThreshold && stock <= threshold;
      const next = { ...p, stock, lowStockThreshold: threshold, updatedAt: now };
      const events = [pendingEvent('product.updated', productData(id, next, revision, now), now)];
      if (enteredLowStock) {
        const data = { productId: id, name: p.name, available: stock, threshold, at: now.toISOString() };
        events.push(pendingEvent('inventory.low_stock', data, now));
      }
      return { state: next, events };
    });
    if (enteredLowStock) lowStockCounter.inc();
    return view;
  }

  async categories(): Promise<CategoryView[]> {
    const [categories, counts] = await Promise.all([
      this.models.categories.find().sort({ _id: 1 }).lean(),
      this.models.products.aggregate<{ _id: string; n: number }>([
        { $match: { deletedAt: null } },
        { $group: { _id: '$category', n: { $sum: 1 } } },
      ]),
    ]);
    const byCategory = new Map(counts.map((c) => [c._id, c.n]));
    return categories.map((c) => categoryView(c, byCategory.get(c._id) ?? 0));
  }

  async createCategory(name: string, id?: string): Promise<CategoryView> {
    const slug = id ?? slugify(name);
    if (!CATEGORY_ID.test(slug)) {
      throw problems.validation([
        { field: 'id', message: 'the name gives no usable id; send one (lower-case letters, digits, dashes)' },
      ]);
    }
    try {
      const created = { _id: slug, name, createdAt: new Date() };
      await this.models.categories.create(created);
      return categoryView(created, 0);
    } catch (err) {
      if (isDuplicateKey(err)) throw problems.conflict(`category ${slug} already exists`);
      throw err;
    }
  }

  private async requireCategory(category: string): Promise<void> {
    if (!(await this.models.categories.exists({ _id: category }))) {
      throw problems.validation([{ field: 'category', message: `no category ${category}` }]);
    }
  }

  /** Applies an admin change to the newest revision, deciding again when a reservation moved stock meanwhile. */
  private async write(
    id: string,
    change: (p: ProductState, revision: number, now: Date) => { state: ProductState; events: PendingEvent[] },
  ): Promise<ProductView> {
    return this.store.change(id, (current: Current<ProductState> | null) => {
      if (!current || current.state.deletedAt) throw problems.notFound(`no product ${id}`);
      const { state, events } = change(current.state, current.rev + 1, new Date());
      return { state, events, result: productView(id, state) };
    });
  }
}

export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}
