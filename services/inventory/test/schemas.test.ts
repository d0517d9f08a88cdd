import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import { productIds, requestedLines, reservationId } from '../src/schemas.ts';

const invalid = (work: () => unknown, detail: RegExp) =>
  assert.throws(work, (err) => err instanceof GrpcError && err.code === status.INVALID_ARGUMENT && detail.test(err.message));

describe('inventory input at the gRPC edge', () => {
  it('adds up repeated products, so each product moves once', () => {
    assert.deepEqual(
      requestedLines([
        { productId: 'mug', quantity: 2 },
        { productId: 'tea', quantity: 1 },
        { productId: 'mug', quantity: 3 },
      ]),
      [
        { productId: 'mug', quantity: 5 },
        { productId: 'tea', quantity: 1 },
      ],
    );
  });

  it('refuses empty or oversized item lists, bad ids and bad quantities', () => {
    invalid(() => requestedLines([]), /items must list/);
    invalid(
      () => requestedLines(Array.from({ length: 101 }, (_, i) => ({ productId: `p${i}`, quantity: 1 }))),
      /items must list/,
    );
    invalid(() => requestedLines([{ productId: '../x', quantity: 1 }]), /not a product id/);
    invalid(() => requestedLines([{ productId: 'mug', quantity: 0 }]), /quantity of mug/);
    invalid(() => requestedLines([{ productId: 'mug', quantity: 1.5 }]), /quantity of mug/);
    invalid(
      () =>
        requestedLines([
          { productId: 'mug', quantity: 600_000 },
          { productId: 'mug', quantity: 600_000 },
        ]),
      /at most/,
    );
    invalid(() => reservationId('has space'), /reservation_id/);
    invalid(() => productIds([]), /product_ids must list/);
    assert.equal(reservationId('order-1:a.b_c'), 'order-1:a.b_c');
  });
});
