/**
 * Loads the demo catalog into a database that has never had products. Ids are fixed and
 * each product is the first revision of its key, which only one insert can create, so
 * replicas starting together load each product (and its product.created event) once.
 */
import type { Logger } from '@meshmart/kit';
import { demoCategories, demoCurrency, demoProducts } from './demo-catalog.ts';
import type { CatalogModels, ProductState } from './models.ts';
import { pendingEvent } from './pending-events.ts';
import { newProduct, productData } from './products.ts';
import { isDuplicateKey, type VersionedStore } from './versioned-store.ts';

const SEED_MARKER = 'demo-catalog-seeded';
const LOW_STOCK_THRESHOLD = 5;

async function insertOnce(insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

export async function seedDemoCatalog(
  models: CatalogModels,
  products: VersionedStore<ProductState>,
  logger: Logger,
): Promise<number> {
  if (await models.meta.exists({ _id: SEED_MARKER })) return 0;
  // A database with products of its own is not at its first start, marker or not.
  const ownData = await models.productRevisions.exists({ key: { $nin: demoProducts.map((p) => p.id) } });
  let loaded = 0;
  if (!ownData) {
    const now = new Date();
    for (const c of demoCategories) {
      await insertOnce(() => models.categories.create({ _id: c.id, name: c.name, createdAt: now }));
    }
    for (const { id, ...fields } of demoProducts) {
      const state = newProduct({ ...fields, currency: demoCurrency, images: [], lowStockThreshold: LOW_STOCK_THRESHOLD }, now);
      const event = pendingEvent('product.created', productData(id, state, 1, now), now);
      if (await products.append(id, null, state, [event])) loaded++;
    }
    if (loaded > 0) logger.info('demo catalog loaded', { products: loaded });
  }
  await insertOnce(() => models.meta.create({ _id: SEED_MARKER, at: new Date() }));
  return loaded;
}
