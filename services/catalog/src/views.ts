/** How catalog's documents look to its callers. */
import type { CategoryDoc, ProductDoc } from './models.ts';

export interface ProductView {
  id: string;
  name: string;
  description: string;
  category: string;
  priceMinor: number;
  currency: string;
  images: string[];
  attributes: Record<string, string>;
  /** inventory's available stock as last reported; the checkout decides with inventory itself. */
  stock: number;
  inStock: boolean;
  createdAt: string;
  updatedAt: string;
}

export function productView(p: ProductDoc): ProductView {
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

export interface CategoryView {
  id: string;
  name: string;
  productCount: number;
}

export function categoryView(c: CategoryDoc, productCount: number): CategoryView {
  return { id: c._id, name: c.name, productCount };
}
