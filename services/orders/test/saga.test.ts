/**
 * The saga's state machine, failure point by failure point: which calls run, which
 * compensations follow, how the order ends and what it announces. The persistence here
 * is a map honouring the SagaStore contract; orders.int.test.ts runs the same saga on
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import type { Card, LeasedOrder, Order } from '../src/order.ts';
import { Saga } from '../src/saga.ts';
import { LeaseLost, type SagaStore, type Transition } from '../src/saga-ports.ts';
import { CARD, PRICE, quietLogger, ScriptedInventory, ScriptedPayments } from './support.ts';

class MemoryStore implements SagaStore {
  transitions: Transition[] = [];
  deferred = 0;
  reported = new Map<string, string>();
  /** Makes the n-th write fail as if another runner had taken the order. */
  loseLeaseAtWrite: number | undefined;

  async advance(order: LeasedOrder, t: Transition): Promise<LeasedOrder> {
    if (this.loseLeaseAtWrite !== undefined && this.transitions.length + 1 >= this.loseLeaseAtWrite) {
      throw new LeaseLost('taken over');
    }
    this.transitions.push(t);
    const { note: _n, event: _e, ...fields } = t;
    return { ...order, ...fields };
  }

  async settleFailure(order: LeasedOrder, failed: Transition): Promise<LeasedOrder> {
    const paymentId = order.paymentId === null ? this.reported.get(order.id) : undefined;
    if (paymentId) return this.advance(order, { step: 'refunding', paymentId, note: 'late charge' });
    return this.advance(order, failed);
  }

  async reportedCharge(orderId: string) {
    const paymentId = this.reported.get(orderId);
    return paymentId ? { paymentId } : undefined;
  }

  async renew(): Promise<boolean> {
    return true;
  }

  async defer(): Promise<void> {
    this.deferred++;
  }

  get steps(): string[] {
    return this.transitions.map((t) => t.step);
  }

  get events(): string[] {
    return this.transitions.flatMap((t) => (t.event ? [t.event.topic] : []));
  }
}

const ORDER_ID = '0b8a2f4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

function newOrder(overrides: Partial<LeasedOrder> = {}): LeasedOrder {
  return {
    id: ORDER_ID,
    userId: '7f1c8f8e-0c4e-4a8e-9a55-3a8f2f1d0b11',
    userEmail: 'ann@example.com',
    status: 'pending',
    step: 'reserving',
    reason: null,
    failureClass: null,
    items: [
      { productId: 'mug', quantity: 2 },
      { productId: 'tee', quantity: 1 },
    ],
    lines: [],
    totalMinor: 0,
    currency: null,
    shippingAddress: {
      id: 'a1',
      label: '',
      line1: '1 Main St',
      line2: '',
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    },
    paymentId: null,
    refundedMinor: 0,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    leaseToken: 'lease-1',
    ...overrides,
  };
}

/** An order that was reserved and priced, as the reserving step leaves it. */
const priced = (overrides: Partial<LeasedOrder> = {}) =>
  newOrder({
    step: 'charging',
    lines: [
      { productId: 'mug', name: 'Mug', quantity: 2, unitPriceMinor: PRICE },
      { productId: 'tee', name: 'Tee', quantity: 1, unitPriceMinor: PRICE },
    ],
    totalMinor: 3 * PRICE,
    currency: 'EUR',
    ...overrides,
  });

describe('checkout saga', () => {
  let store: MemoryStore;
  let inventory: ScriptedInventory;
  let payments: ScriptedPayments;
  let settled: Order[];

  beforeEach(() => {
    store = new MemoryStore();
    inventory = new ScriptedInventory();
    payments = new ScriptedPayments();
    settled = [];
  });

  const run = (order: LeasedOrder, card: Card | null = CARD) =>
    new Saga({
      store,
      inventory,
      payments,
      logger: quietLogger(),
      observer: { step: () => {}, settled: (o) => settled.push(o) },
      attempts: 3,
      contentionBudgetMs: 1000,
      reservationTtlSeconds: 600,
      heartbeatMs: 60_000,
      backoffMs: () => 1,
    }).run(order, card ?? undefined);

  it('reserves, charges the total from catalog prices, commits and ends paid', async () => {
    const order = await run(newOrder());
    assert.equal(order.status, 'paid');
    assert.deepEqual(inventory.calls, [`reserve ${ORDER_ID}`, `commit ${ORDER_ID}`]);
    assert.deepEqual(payments.charges, [{ orderId: ORDER_ID, amountMinor: 3 * PRICE, currency: 'EUR', card: CARD }]);
    assert.deepEqual(store.steps, ['charging', 'committing', 'done']);
    assert.deepEqual(store.events, ['order.created', 'order.paid']);
    const paid = store.transitions.at(-1)?.event;
    assert.equal(paid?.topic, 'order.paid');
    assert.equal(paid?.topic === 'order.paid' && paid.data.paymentId, 'pay-1');
    assert.equal(paid?.data.userEmail, 'ann@example.com');
    assert.deepEqual(
      settled.map((o) => o.status),
      ['paid'],
    );
  });

  describe('fails and compensates in reverse', () => {
    it('out of stock: nothing is held, so nothing is released or charged', async () => {
      inventory.reserveScript = { kind: 'out_of_stock', detail: 'Mug (requested 2, available 1)' };
      const order = await run(newOrder());
      assert.equal(order.status, 'failed');
      assert.equal(order.reason, 'out of stock: Mug (requested 2, available 1)');
      assert.equal(order.failureClass, 'out_of_stock');
      assert.deepEqual(inventory.calls, [`reserve ${ORDER_ID}`]);
      assert.equal(payments.charges.length, 0);
      assert.deepEqual(store.events, ['order.failed']);
    });

    it('inventory busy at reserve: keeps asking within the contention budget, without spending tries', async () => {
      inventory.reserveScript = (n) => (n <= 5 ? 'busy' : { kind: 'out_of_stock', detail: 'mug' });
      const order = await run(newOrder());
      assert.equal(inventory.count('reserve'), 6);
      assert.equal(order.reason, 'out of stock: mug');
    });

    it('inventory busy beyond the contention budget: counts as failed tries, then compensates', async () => {
      inventory.reserveScript = 'busy';
      const order = await run(newOrder());
      assert.equal(order.failureClass, 'inventory_error');
      assert.ok(inventory.count('reserve') > 3);
      assert.equal(inventory.count('release'), 1);
    });

    it('inventory down at reserve: tries again, then releases whatever may be held', async () => {
      inventory.reserveScript = 'transient';
      const order = await run(newOrder());
      assert.equal(order.status, 'failed');
      assert.equal(order.failureClass, 'inventory_error');
      assert.equal(inventory.count('reserve'), 3);
      assert.equal(inventory.count('release'), 1);
      assert.deepEqual(store.steps, ['releasing', 'done']);
      assert.deepEqual(store.events, ['order.failed']);
    });

    it('inventory down at reserve and release: the order fails at once, and a later run releases without announcing again', async () => {
      inventory.reserveScript = 'transient';
      inventory.releaseScript = 'transient';
      const order = await run(newOrder());
      assert.equal(order.status, 'failed', 'the buyer is answered while inventory is still down');
      assert.equal(order.step, 'releasing', 'the release is still owed');
      assert.equal(store.deferred, 1);
      assert.equal(settled.length, 1);
      inventory.releaseScript = 'released';
      const resumed = await run(order, null);
      assert.equal(resumed.step, 'done');
      assert.equal(resumed.status, 'failed');
      assert.equal(inventory.count('release'), 4);
      assert.deepEqual(store.events, ['order.failed']);
      assert.equal(settled.length, 1, 'counted once');
    });

    for (const [failureClass, reason] of [
      ['card_declined', 'card declined'],
      ['insufficient_funds', 'insufficient funds'],
    ] as const) {
      it(`${reason}: releases the stock, refunds nothing`, async () => {
        payments.chargeScript = { kind: 'declined', failureClass, reason, paymentId: 'pay-declined' };
        const order = await run(newOrder());
        assert.equal(order.status, 'failed');
        assert.equal(order.reason, reason);
        assert.equal(order.paymentId, null, 'a declined payment is nothing to refund');
        assert.deepEqual(inventory.calls, [`reserve ${ORDER_ID}`, `release ${ORDER_ID}`]);
        assert.equal(payments.refunds.length, 0);
        assert.deepEqual(store.events, ['order.created', 'order.failed']);
      });
    }

    it('payment processor error: retries with the same request, then releases', async () => {
      payments.chargeScript = 'transient';
      const order = await run(newOrder());
      assert.equal(order.failureClass, 'payment_error');
      assert.equal(payments.charges.length, 3);
      assert.equal(new Set(payments.charges.map((c) => JSON.stringify(c))).size, 1);
      assert.equal(inventory.count('release'), 1);
    });

    it('a charge payments refuses outright is not retried', async () => {
      payments.chargeScript = { kind: 'rejected', reason: 'amountMinor: too large' };
      const order = await run(newOrder());
      assert.equal(order.failureClass, 'payment_rejected');
      assert.equal(payments.charges.length, 1);
      assert.equal(inventory.count('release'), 1);
    });

    it('reservation gone at commit: refunds the charge, then releases', async () => {
      inventory.commitScript = 'gone';
      const order = await run(newOrder());
      assert.equal(order.status, 'failed');
      assert.equal(order.failureClass, 'reservation_lost');
      assert.deepEqual(payments.refunds, [{ orderId: ORDER_ID, paymentId: 'pay-1', amountMinor: 3 * PRICE }]);
      assert.deepEqual(inventory.calls, [`reserve ${ORDER_ID}`, `commit ${ORDER_ID}`, `release ${ORDER_ID}`]);
      assert.deepEqual(store.steps, ['charging', 'committing', 'refunding', 'releasing', 'done']);
      assert.equal(order.refundedMinor, 3 * PRICE);
    });

    it('products in different currencies cannot be charged together', async () => {
      inventory.reserveScript = {
        kind: 'reserved',
        lines: [
          { productId: 'mug', name: 'Mug', quantity: 2, unitPriceMinor: 100, currency: 'EUR' },
          { productId: 'tee', name: 'Tee', quantity: 1, unitPriceMinor: 100, currency: 'USD' },
        ],
      };
      const order = await run(newOrder());
      assert.equal(order.status, 'failed');
      assert.equal(payments.charges.length, 0);
      assert.equal(inventory.count('release'), 1);
    });
  });

  describe('after the charge, only definite answers end the order', () => {
    it('catalog down at commit: defers the order instead of refunding', async () => {
      inventory.commitScript = 'transient';
      const order = await run(newOrder());
      assert.equal(order.status, 'pending');
      assert.equal(order.step, 'committing');
      assert.equal(store.deferred, 1);
      assert.equal(payments.refunds.length, 0);
      inventory.commitScript = 'committed';
      assert.equal((await run(order, null)).status, 'paid', 'a later run resumes at commit, card or not');
      assert.equal(payments.charges.length, 1);
    });

    it('payments down while refunding: defers, and a later run finishes the compensation', async () => {
      inventory.commitScript = 'gone';
      payments.refundScript = 'transient';
      const order = await run(newOrder());
      assert.equal(order.step, 'refunding');
      assert.equal(store.deferred, 1);
      payments.refundScript = 'refunded';
      const resumed = await run(order, null);
      assert.equal(resumed.status, 'failed');
      assert.equal(inventory.count('release'), 1);
      assert.deepEqual(store.events, ['order.created', 'order.failed']);
    });
  });

  describe('recovery without the card', () => {
    it('an order interrupted while reserving is compensated', async () => {
      const order = await run(newOrder(), null);
      assert.equal(order.status, 'failed');
      assert.equal(order.failureClass, 'interrupted');
      assert.deepEqual(inventory.calls, [`release ${ORDER_ID}`]);
    });

    it('an order interrupted while charging resumes when payments reported the charge', async () => {
      store.reported.set(ORDER_ID, 'pay-reported');
      const order = await run(priced(), null);
      assert.equal(order.status, 'paid');
      assert.equal(order.paymentId, 'pay-reported');
      assert.equal(payments.charges.length, 0);
    });

    it('an order interrupted while charging is compensated when no charge is known', async () => {
      const order = await run(priced(), null);
      assert.equal(order.status, 'failed');
      assert.equal(inventory.count('release'), 1);
      assert.equal(payments.charges.length, 0);
    });

    it('a charge reported after the saga gave up on payments is refunded, announced once', async () => {
      payments.chargeScript = 'transient';
      store.reported.set(ORDER_ID, 'pay-late');
      const order = await run(newOrder());
      assert.equal(order.status, 'failed');
      assert.deepEqual(payments.refunds, [{ orderId: ORDER_ID, paymentId: 'pay-late', amountMinor: 3 * PRICE }]);
      assert.deepEqual(store.steps, ['charging', 'releasing', 'refunding', 'releasing', 'done']);
      assert.deepEqual(store.events, ['order.created', 'order.failed']);
    });
  });

  it('cancelling a paid order refunds it in full and announces order.cancelled', async () => {
    const paid = priced({
      status: 'paid',
      step: 'cancelling',
      paymentId: 'pay-9',
      reason: 'cancelled by the customer',
    });
    const order = await run(paid, null);
    assert.equal(order.status, 'cancelled');
    assert.deepEqual(payments.refunds, [{ orderId: ORDER_ID, paymentId: 'pay-9', amountMinor: 3 * PRICE }]);
    const event = store.transitions.at(-1)?.event;
    assert.equal(event?.topic, 'order.cancelled');
    assert.equal(event?.topic === 'order.cancelled' && event.data.refundedMinor, 3 * PRICE);
    assert.equal(inventory.calls.length, 0, 'catalog returns the stock on order.cancelled');
    assert.equal(settled.length, 0, 'a cancellation is not a checkout outcome');
  });

  it('stops without further calls once another runner took the order', async () => {
    store.loseLeaseAtWrite = 2;
    const order = await run(newOrder());
    assert.equal(order.step, 'charging');
    assert.equal(inventory.count('commit'), 0);
    assert.equal(payments.charges.length, 1, 'the call in flight when the lease was lost');
    assert.equal(store.deferred, 0);
  });
});
