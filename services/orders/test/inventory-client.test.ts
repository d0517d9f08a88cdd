/**
 * How orders prices a checkout: one read of catalog before the order is written, reused
 * by the saga's Reserve. The sidecar and the gRPC client are stand-ins that answer as
 * catalog and inventory would and count the calls (unit test: no server runs).
 */
import assert from 'node:assert/strict';
import { ordersErrors } from '@meshmart/contracts/orders';
import { Problem, problems, type Sidecar } from '@meshmart/kit';
import type { InventoryServiceClient } from '@meshmart/proto/inventory/v1/inventory';
import { StockAndPrices } from '../src/inventory-client.ts';
import { TransientError } from '../src/saga-ports.ts';

const MUG = { name: 'Mug', priceMinor: 1250, currency: 'EUR' };

/** catalog knows the mug; `down` makes every read fail as an unreachable sidecar does. */
function stockAndPrices(options: { down?: boolean } = {}) {
  const catalogReads: string[] = [];
  const sidecar = {
    invoke: async (appId: string, path: string) => {
      catalogReads.push(`${appId} ${path}`);
      if (options.down) throw problems.unavailable('catalog is unavailable: the Dapr sidecar cannot be reached');
      if (path === '/products/mug') return { status: 200, headers: new Headers(), body: MUG };
      if (path === '/products/unpriced') return { status: 200, headers: new Headers(), body: { name: 'Unpriced' } };
      throw new Problem(404, 'not-found', 'Not found', { detail: 'no such product' });
    },
  } as unknown as Sidecar;
  const inventory = {
    reserve: (
      req: { reservationId: string; items: Array<{ productId: string; quantity: number }> },
      _metadata: unknown,
      _options: unknown,
      callback: (err: null, res: unknown) => void,
    ) => callback(null, { reservation: { id: req.reservationId, lines: req.items } }),
  } as unknown as InventoryServiceClient;
  return { client: new StockAndPrices(inventory, sidecar, { lookupMs: 1000, stockMoveMs: 1000 }), catalogReads };
}

const items = [{ productId: 'mug', quantity: 2 }];
const reservedMugs = {
  kind: 'reserved',
  lines: [{ productId: 'mug', name: 'Mug', quantity: 2, unitPriceMinor: 1250, currency: 'EUR' }],
};

describe('checkout pricing', () => {
  it('reserves with the quote read before the order, without asking catalog again', async () => {
    const { client, catalogReads } = stockAndPrices();
    const quote = await client.quote(['mug', 'mug']);
    assert.deepEqual(catalogReads, ['catalog /products/mug'], 'one read per distinct product');
    assert.deepEqual(await client.reserve('order-1', items, 600, quote), reservedMugs);
    assert.equal(catalogReads.length, 1, 'the saga used the quote');
  });

  it('reads the prices while reserving when the saga has no quote (a resumed checkout)', async () => {
    const { client, catalogReads } = stockAndPrices();
    assert.deepEqual(await client.reserve('order-1', items, 600), reservedMugs);
    assert.deepEqual(catalogReads, ['catalog /products/mug']);
  });

  it('refuses a product catalog does not know with 422 and the contract’s code', async () => {
    const { client } = stockAndPrices();
    await assert.rejects(client.quote(['mug', 'ghost']), (err: unknown) => {
      assert.ok(err instanceof Problem);
      assert.equal(err.status, 422);
      assert.equal(err.code, ordersErrors.unknownProduct);
      assert.equal(err.detail, 'unknown products: ghost');
      return true;
    });
  });

  it('answers 503 before the order when catalog is down, and a transient failure inside the saga', async () => {
    const { client } = stockAndPrices({ down: true });
    await assert.rejects(client.quote(['mug']), (err: unknown) => err instanceof Problem && err.status === 503);
    await assert.rejects(client.reserve('order-1', items, 600), TransientError);
  });

  it('treats an answer without a price as catalog unavailable, not as a price', async () => {
    const { client } = stockAndPrices();
    await assert.rejects(client.quote(['unpriced']), (err: unknown) => err instanceof Problem && err.status === 503);
    await assert.rejects(client.reserve('order-1', [{ productId: 'unpriced', quantity: 1 }], 600), TransientError);
  });
});
