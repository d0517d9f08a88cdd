/**
 * Products and categories: reads for everyone, writes for admins. Each product write is
 * one atomic update of the product's document that also appends the event announcing it
 * (pending-events.ts), conditioned on the revision it read: of two admins writing at once,
 * one applies and the other reads again and decides again.
 */
import { randomUUID } from 'node:crypto';
import {
  type Category,
  catalogErrors,
  type Product,
  type ProductListQuery,
  type ProductReplaceRequest,
  type ProductRequest,
} from '@meshmart/contracts/catalog';
import { CATEGORY_ID } from '@meshmart/contracts/common';
import { type EventData, problems } from '@meshmart/kit';
import { type CatalogModels, isDuplicateKey, type ProductDoc } from './models.ts';
import type { OneAtATime } from './one-at-a-time.ts';
import { type PendingEvent, pendingEvent } from './pending-events.ts';
import { productFilter, productSort } from './product-query.ts';
import { categoryView, productView } from './views.ts';

/** An admin write that keeps losing to other writes of the same product gives up (409). */
const WRITE_ATTEMPTS = 5;

/** `revision` is the product revision the event announces. */
export function productData(
  id: string,
  p: Pick<ProductDoc, 'name' | 'category' | 'description' | 'priceMinor' | 'currency'>,
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

type Editable = Omit<ProductRequest, never>;

/** A new product's document, its product.created waiting in it. */
export function newProduct(id: string, body: Editable, now: Date, available = 0): ProductDoc {
  const fields = { ...body, sortName: body.name.toLowerCase() };
  return {
    _id: id,
    ...fields,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    revision: 1,
    pendingEvents: [pendingEvent('product.created', productData(id, fields, 1, now), now)],
    eventsPending: true,
    available,
    stockRevision: 0,
  };
}

export class Products {
  constructor(
    private readonly models: CatalogModels,
    /** The writes of one product from this process, one after another (shared with the relay). */
    private readonly serially: OneAtATime,
    /** Told after a write that left events to publish. */
    private readonly wrote: () => void = () => {},
  ) {}

  async list(query: ProductListQuery): Promise<{ items: Product[]; total: number; limit: number; offset: number }> {
    const { sort, limit, offset, ...filters } = query;
    const filter = productFilter(filters);
    const [items, total] = await Promise.all([
      this.models.products.find(filter).sort(productSort(sort)).skip(offset).limit(limit).lean<ProductDoc[]>(),
      this.models.products.countDocuments(filter),
    ]);
    return { items: items.map(productView), total, limit, offset };
  }

  async get(id: string): Promise<Product> {
    const p = await this.models.products.findOne({ _id: id, deletedAt: null }).lean<ProductDoc>();
    if (!p) throw problems.notFound(`no product ${id}`);
    return productView(p);
  }

  async create(body: ProductRequest): Promise<Product> {
    await this.requireCategory(body.category);
    const doc = newProduct(randomUUID(), body, new Date());
    await this.models.products.collection.insertOne(doc as never);
    this.wrote();
    return productView(doc);
  }

  async replace(id: string, body: ProductReplaceRequest): Promise<Product> {
    await this.requireCategory(body.category);
    return this.write(id, (p, revision, now) => {
      const next = { ...p, ...body, sortName: body.name.toLowerCase() };
      return {
        set: { ...body, sortName: next.sortName },
        event: pendingEvent('product.updated', productData(id, next, revision, now), now),
      };
    });
  }

  async remove(id: string): Promise<void> {
    await this.write(id, (_p, revision, now) => ({
      set: { deletedAt: now },
      event: pendingEvent('product.deleted', { productId: id, revision, at: now.toISOString() }, now),
    }));
  }

  /** Keeps inventory's newest stock figure for listings; older or repeated events change nothing. */
  async stockChanged(data: EventData<'inventory.stock_changed'>): Promise<void> {
    await this.serially.run(data.productId, () =>
      this.models.products.updateOne(
        { _id: data.productId, stockRevision: { $lt: data.revision } },
        { $set: { available: data.available, stockRevision: data.revision } },
      ),
    );
  }

  async categories(): Promise<Category[]> {
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

  async createCategory(name: string, id?: string): Promise<Category> {
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
      if (isDuplicateKey(err)) throw problems.conflict(`category ${slug} already exists`, catalogErrors.categoryExists);
      throw err;
    }
  }

  private async requireCategory(category: string): Promise<void> {
    if (!(await this.models.categories.exists({ _id: category }))) {
      throw problems.validation([{ field: 'category', message: `no category ${category}` }]);
    }
  }

  /**
   * One admin change: the fields it sets, the next revision and its event in one update
   * that applies only if the document is still at the revision the change was decided on.
   */
  private async write(
    id: string,
    change: (p: ProductDoc, revision: number, now: Date) => { set: Partial<ProductDoc>; event: PendingEvent },
  ): Promise<Product> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const p = await this.models.products.findOne({ _id: id, deletedAt: null }).lean<ProductDoc>();
      if (!p) throw problems.notFound(`no product ${id}`);
      const now = new Date();
      const revision = p.revision + 1;
      const { set, event } = change(p, revision, now);
      const { matchedCount } = await this.serially.run(id, () =>
        this.models.products.updateOne(
          { _id: id, revision: p.revision, deletedAt: null },
          { $set: { ...set, revision, updatedAt: now, eventsPending: true }, $push: { pendingEvents: event } },
        ),
      );
      if (matchedCount === 1) {
        this.wrote();
        return productView({ ...p, ...set, revision, updatedAt: now });
      }
    }
    throw problems.conflict(`product ${id} is changing too often; retry`, catalogErrors.productContended);
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
