/** inventory's admin API: stock levels and movements. */
import { movementsQuery, stockLevel, stockMovements, stockRequest } from '@meshmart/contracts/inventory';
import { calleeApi, service } from './callee.ts';
import { productIdParams } from './catalog.ts';

const inventory = service('inventory');

export const inventoryApi = calleeApi({
  tag: 'inventory',
  requests: { StockRequest: stockRequest },
  responses: { StockLevel: stockLevel, StockMovements: stockMovements },
  routes: [
    {
      method: 'GET',
      path: '/api/products/:id/stock',
      summary: 'A product’s stock: available, held by open reservations, threshold (admin role)',
      access: 'admin',
      params: productIdParams,
      success: { status: 200, description: 'Stock', schema: stockLevel },
      errors: [404],
      target: inventory('/stock/:id'),
    },
    {
      method: 'PUT',
      path: '/api/products/:id/stock',
      summary: 'Set the stock that can be reserved, and the low-stock threshold (admin role)',
      access: 'admin',
      params: productIdParams,
      body: stockRequest,
      success: { status: 200, description: 'Stock as set', schema: stockLevel },
      target: inventory('/stock/:id'),
    },
    {
      method: 'GET',
      path: '/api/products/:id/stock/movements',
      summary: 'A product’s stock movements, newest first (admin role)',
      access: 'admin',
      params: productIdParams,
      query: movementsQuery,
      success: { status: 200, description: 'Movements', schema: stockMovements },
      errors: [404],
      target: inventory('/stock/:id/movements'),
    },
  ],
});
