import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import { requestedItems } from '../src/inventory-grpc.ts';

const invalid = (err: unknown) => err instanceof GrpcError && err.code === status.INVALID_ARGUMENT;

describe('Reserve items', () => {
  it('adds up a product listed twice', () => {
    assert.deepEqual(
      requestedItems([
        { productId: 'a', quantity: 1 },
        { productId: 'b', quantity: 2 },
        { productId: 'a', quantity: 3 },
      ]),
      [
        { productId: 'a', quantity: 4 },
        { productId: 'b', quantity: 2 },
      ],
    );
  });

  it('refuses empty lists, bad ids and quantities that are not positive', () => {
    assert.throws(() => requestedItems([]), invalid);
    assert.throws(() => requestedItems([{ productId: '{"$gt":""}', quantity: 1 }]), invalid);
    assert.throws(() => requestedItems([{ productId: 'a', quantity: 0 }]), invalid);
    assert.throws(() => requestedItems([{ productId: 'a', quantity: -3 }]), invalid);
    assert.throws(
      () =>
        requestedItems([
          { productId: 'a', quantity: 600_000 },
          { productId: 'a', quantity: 600_000 },
        ]),
      invalid,
    );
  });
});
