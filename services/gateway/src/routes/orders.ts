/** orders' API: checkout, the buyer's orders, cancellation. */
import { checkoutHeaders, checkoutRequest, listOrdersQuery, order, orderIdParam, orderPage } from '@meshmart/contracts/orders';
import { z } from 'zod';
import { calleeApi, service } from './callee.ts';

const orderIdParams = z.strictObject({ id: orderIdParam });
const orders = service('orders');

export const ordersApi = calleeApi({
  tag: 'orders',
  requests: { CheckoutRequest: checkoutRequest },
  responses: { Order: order, OrderPage: orderPage },
  routes: [
    {
      method: 'POST',
      path: '/api/orders',
      summary: 'Check out: reserve stock, charge the card, and answer once the order is paid or failed',
      access: 'user',
      headers: checkoutHeaders,
      body: checkoutRequest,
      timeout: 'saga',
      success: {
        status: 201,
        description: 'The new order, `paid` or `failed` with a `reason` (e.g. out of stock, card declined)',
        schema: order,
        alternatives: [
          { status: 200, description: 'The order an earlier request with this Idempotency-Key created' },
          { status: 202, description: 'The order, still `pending`: ask again with the same key or GET it later' },
        ],
      },
      errors: [422],
      target: orders('/orders'),
    },
    {
      method: 'GET',
      path: '/api/orders',
      summary: 'Orders of the signed-in user, newest first',
      access: 'user',
      query: listOrdersQuery,
      success: { status: 200, description: 'One page of orders', schema: orderPage },
      target: orders('/orders'),
    },
    {
      method: 'GET',
      path: '/api/orders/:id',
      summary: 'One order with its status timeline (its owner or an admin)',
      access: 'user',
      params: orderIdParams,
      success: { status: 200, description: 'Order', schema: order },
      errors: [404],
      target: orders('/orders/:id'),
    },
    {
      method: 'POST',
      path: '/api/orders/:id/cancel',
      summary: 'Cancel a paid order: the charge is refunded and the stock returned',
      access: 'user',
      params: orderIdParams,
      timeout: 'saga',
      success: {
        status: 200,
        description: 'The cancelled order',
        schema: order,
        alternatives: [{ status: 202, description: 'Cancellation under way: the refund has not gone through yet' }],
      },
      errors: [404, 409],
      target: orders('/orders/:id/cancel'),
    },
  ],
});
