/** How catalog's documents look to its callers: the shapes its API contract declares. */
import type { Category, Product } from '@meshmart/contracts/catalog';
import type { CategoryDoc, ProductDoc } from './models.ts';

export function productView(p: ProductDoc): Product {
  return {
    id: p._id,
    name: p.name,
    description: p.description,
    category: p.category,
    priceMinor: p.priceMinor,
    currency: p.currency,
    images: p.images,
    attributes: p.attributes,
    stock: p.available,
    inStock: p.available > 0,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function categoryView(c: CategoryDoc, productCount: number): Category {
  return { id: c._id, name: c.name, productCount };
}
