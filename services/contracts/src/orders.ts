/**
 * orders' REST API: checkout (a saga answering once the order is paid or failed), the
 * buyer's orders and cancellation. Prices never come from the client: an item with a
 * price is an unknown field, and totals come from catalog only.
 */
import { z } from 'zod';
import { card } from './card.ts';
import { idempotencyKey, offsetPage, pageQuery, productId } from './common.ts';
import { idempotencyErrors } from './problem.ts';
import { address } from './users.ts';

/** POST /orders */
export const checkoutRequest = z.strictObject({
  items: z
    .array(z.strictObject({ productId, quantity: z.number().int().min(1).max(100) }))
    .min(1)
    .max(50)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.productId)) ctx.addIssue({ code: 'custom', path: [i, 'productId'], message: 'listed twice' });
        seen.add(item.productId);
      });
    }),
  shippingAddressId: z.uuid().describe('one of the signed-in user’s addresses'),
  card,
});
export type CheckoutRequest = z.infer<typeof checkoutRequest>;

/** Not strict: every request carries other headers too. */
export const checkoutHeaders = z.object({ 'idempotency-key': idempotencyKey });

/** GET /orders */
export const listOrdersQuery = z.strictObject(pageQuery(100_000));

export const orderIdParam = z.uuid();

export const orderStatus = z.enum(['pending', 'paid', 'failed', 'cancelled']);
export type OrderStatus = z.infer<typeof orderStatus>;

export const order = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  status: orderStatus,
  reason: z.string().optional().describe('why the order failed or was cancelled'),
  items: z.array(z.object({ productId: z.string(), quantity: z.number().int() })).describe('what was asked for'),
  lines: z
    .array(z.object({ productId: z.string(), name: z.string(), quantity: z.number().int(), unitPriceMinor: z.number().int() }))
    .describe('what was reserved, at catalog’s prices; empty if stock could not be reserved'),
  totalMinor: z.number().int(),
  currency: z.string().nullable().describe('null until stock is reserved and priced'),
  shippingAddress: address,
  paymentId: z.string().optional(),
  refundedMinor: z.number().int(),
  timeline: z.array(z.object({ status: orderStatus, at: z.iso.datetime(), note: z.string() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Order = z.infer<typeof order>;

export const orderPage = offsetPage(order);
export type OrderPage = z.infer<typeof orderPage>;

export const ordersErrors = {
  ...idempotencyErrors,
  /** 422: the shipping address is not one of the buyer's. */
  unknownAddress: 'unknown_address',
  /** 422: an item names no product of catalog. */
  unknownProduct: 'unknown_product',
} as const;
