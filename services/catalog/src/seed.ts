/**
 * Loads the demo catalog into a database that has never had products. Ids are fixed and
 * an insert of an existing id fails, so replicas starting together load each product (and
 * its product.created event) once. The demo stock figures are shown until inventory's own
 * stock events arrive; inventory loads the same figures.
 */
import type { Logger } from '@meshmart/kit';
import { demoCategories, demoCurrency, demoProducts } from '@meshmart/kit/demo-catalog';
import { type CatalogModels, isDuplicateKey } from './models.ts';
import { newProduct } from './products.ts';

const SEED_MARKER = 'demo-catalog-seeded';

async function insertOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return false;
  }
}

export async function seedDemoCatalog(models: CatalogModels, logger: Logger): Promise<number> {
  if (await models.meta.exists({ _id: SEED_MARKER })) return 0;
  // A database with products of its own is not at its first start, marker or not.
  const ownData = await models.products.exists({ _id: { $nin: demoProducts.map((p) => p.id) } });
  let loaded = 0;
  if (!ownData) {
    const now = new Date();
    for (const c of demoCategories) {
      await insertOnce(() => models.categories.create({ _id: c.id, name: c.name, createdAt: now }));
    }
    for (const { id, stock, ...fields } of demoProducts) {
      const doc = newProduct(id, { ...fields, currency: demoCurrency, images: [] }, now, stock);
      if (await insertOnce(() => models.products.collection.insertOne(doc as never))) loaded++;
    }
    if (loaded > 0) logger.info('demo catalog loaded', { products: loaded });
  }
  await insertOnce(() => models.meta.create({ _id: SEED_MARKER, at: new Date() }));
  return loaded;
}
