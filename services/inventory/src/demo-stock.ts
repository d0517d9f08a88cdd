/** Stock of the demo catalog, loaded into an empty database. */
import { demoProducts } from '@meshmart/kit/demo-catalog';

export const demoStock = demoProducts.map((p) => ({ productId: p.id, available: p.stock }));

export const DEMO_STOCK_MARKER = 'demo-stock-seeded';
