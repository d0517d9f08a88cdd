/** Turns a validated list query into a MongoDB filter and sort that FerretDB supports. */
import type { ProductListQuery } from '@meshmart/contracts/catalog';

/** The text as a regular expression matching exactly that text: the client's input is never a pattern. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type ProductFilter = Record<string, unknown>;

export function productFilter(query: Omit<ProductListQuery, 'sort' | 'limit' | 'offset'>): ProductFilter {
  const filter: ProductFilter = { deletedAt: null };
  if (query.category !== undefined) filter.category = query.category;
  if (query.minPrice !== undefined || query.maxPrice !== undefined) {
    filter.priceMinor = {
      ...(query.minPrice !== undefined && { $gte: query.minPrice }),
      ...(query.maxPrice !== undefined && { $lte: query.maxPrice }),
    };
  }
  if (query.inStock !== undefined) filter.available = query.inStock === 'true' ? { $gt: 0 } : 0;
  if (query.q !== undefined) {
    const pattern = escapeRegex(query.q);
    filter.$or = [{ name: { $regex: pattern, $options: 'i' } }, { description: { $regex: pattern, $options: 'i' } }];
  }
  return filter;
}

const sortFields = { name: 'sortName', price: 'priceMinor', created: 'createdAt' } as const;

/** Ties broken by id, so pages never overlap or skip. */
export function productSort(sort: ProductListQuery['sort']): Record<string, 1 | -1> {
  const descending = sort.startsWith('-');
  const field = sortFields[sort.replace(/^-/, '') as keyof typeof sortFields];
  const direction = descending ? -1 : 1;
  return { [field]: direction, _id: direction };
}
