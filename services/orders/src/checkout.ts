/**
 * Placing and cancelling orders: Idempotency-Key handling around the saga. The unique
 * (user, key) constraint makes exactly one request create the order; every other request
 * with that key — repeated later or sent concurrently — waits for that order's saga and
 * answers with it. A repeat that finds the saga abandoned (its process died) takes it
 * over, with the card it carries, so the buyer's retry finishes the checkout.
 */
import { randomUUID } from 'node:crypto';
import { checkoutFingerprint } from '@meshmart/contracts/fingerprint';
import type { CheckoutRequest } from '@meshmart/contracts/orders';
import { isUniqueViolation, type Principal, problems } from '@meshmart/kit';
import { type Card, isSettled, type Order, type ShippingAddress } from './order.ts';
import type { OrdersRepo, StoredOrder } from './orders-store.ts';
import type { Quote } from './saga-ports.ts';
import type { SagaRunner } from './saga-runner.ts';

export interface BuyerLookup {
  buyer(userId: string, addressId: string): Promise<{ email: string; shippingAddress: ShippingAddress }>;
}

export interface Pricing {
  /** Name and price of each product; a product catalog does not know is a 422. */
  quote(productIds: string[]): Promise<Quote>;
}

export interface CheckoutOptions {
  repo: OrdersRepo;
  runner: SagaRunner;
  users: BuyerLookup;
  catalog: Pricing;
  /** Told how long the checks before the saga took (metrics). */
  observeStep: (step: string, seconds: number) => void;
  /** How long a request waits for a saga before answering with the order still pending. */
  waitMs: number;
  pollMs?: number;
}

export interface Placed {
  created: boolean;
  order: StoredOrder;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Checkout {
  private readonly pollMs: number;

  constructor(private readonly options: CheckoutOptions) {
    this.pollMs = options.pollMs ?? 200;
  }

  async place(user: Principal, idempotencyKey: string, body: CheckoutRequest): Promise<Placed> {
    const { repo, runner } = this.options;
    const fingerprint = checkoutFingerprint(body);
    const existing = await repo.byKey(user.id, idempotencyKey);
    if (existing) return { created: false, order: await this.replay(existing, fingerprint, body.card) };

    // Checked before anything is written: an order for an unknown address or product is a 422, not a failed order.
    // Both at once; the buyer's answer is reported first when both fail. The prices read
    // here are the order's: the saga reserves with them instead of asking catalog again.
    const [found, priced] = await Promise.allSettled([
      this.timed('get_user', () => this.options.users.buyer(user.id, body.shippingAddressId)),
      this.timed('price', () => this.options.catalog.quote(body.items.map((i) => i.productId))),
    ]);
    if (found.status === 'rejected') throw found.reason;
    if (priced.status === 'rejected') throw priced.reason;
    const buyer = found.value;

    let order: Awaited<ReturnType<OrdersRepo['insert']>>;
    try {
      order = await repo.insert({
        id: randomUUID(),
        userId: user.id,
        userEmail: buyer.email,
        idempotencyKey,
        fingerprint,
        items: body.items,
        shippingAddress: buyer.shippingAddress,
        leaseToken: randomUUID(),
      });
    } catch (err) {
      if (!isUniqueViolation(err, 'orders_idempotency_key')) throw err;
      // A concurrent request with this key got there first.
      const first = await repo.byKey(user.id, idempotencyKey);
      if (!first) throw err;
      return { created: false, order: await this.replay(first, fingerprint, body.card) };
    }
    const run = runner.start(order, body.card, priced.value);
    return { created: true, order: await this.waitFor(order.id, isSettled, { run }) };
  }

  /** Cancels a paid order: refund, then order.cancelled, on which inventory returns the stock. */
  async cancel(user: Principal, orderId: string): Promise<StoredOrder> {
    const order = await this.visible(user, orderId);
    const finished = (o: Order) => o.step === 'done';
    if (order.status === 'cancelled') return order;
    if (order.status === 'paid' && order.step === 'cancelling') return this.waitFor(orderId, finished);
    if (order.status !== 'paid') {
      throw problems.conflict(`only a paid order can be cancelled; this one is ${order.status}`);
    }
    const reason = order.userId === user.id ? 'cancelled by the customer' : 'cancelled by an administrator';
    const leased = await this.options.repo.startCancel(orderId, reason, randomUUID());
    // Another request started cancelling it between the read and the update.
    if (!leased) return this.waitFor(orderId, finished);
    return this.waitFor(orderId, finished, { run: this.options.runner.start(leased) });
  }

  /** The order if the caller may see it: its owner or an admin. Anyone else gets the same 404 as for no order. */
  async visible(user: Principal, orderId: string): Promise<StoredOrder> {
    const order = await this.options.repo.byId(orderId);
    if (!order || (order.userId !== user.id && !user.roles.includes('admin'))) throw problems.notFound(`no order ${orderId}`);
    return order;
  }

  private async replay(existing: StoredOrder, fingerprint: string, card: Card): Promise<StoredOrder> {
    if (existing.fingerprint !== fingerprint) {
      throw problems.idempotencyKeyReused();
    }
    if (isSettled(existing)) return existing;
    return this.waitFor(existing.id, isSettled, { card });
  }

  /**
   * Waits until `done(order)` or the wait is over, and answers with the order as it is
   * then. Follows a saga running here; otherwise takes over an abandoned one (when it has
   * the card to resume it), or polls while another replica runs it.
   */
  private async waitFor(
    orderId: string,
    done: (order: Order) => boolean,
    { run, card }: { run?: Promise<Order>; card?: Card } = {},
  ): Promise<StoredOrder> {
    const { repo, runner } = this.options;
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      const remaining = deadline - Date.now();
      const running = run ?? runner.inProgress(orderId);
      run = undefined;
      if (running && remaining > 0) {
        await Promise.race([running.catch(() => undefined), sleep(remaining)]);
      } else if (card && remaining > 0) {
        const claimed = await repo.claimStale(orderId, randomUUID());
        if (claimed) {
          run = runner.start(claimed, card);
          continue;
        }
      }
      const current = await repo.byId(orderId);
      if (!current) throw new Error(`order ${orderId} vanished`);
      if (done(current) || Date.now() >= deadline) return current;
      await sleep(Math.min(this.pollMs, Math.max(0, deadline - Date.now())));
    }
  }

  private async timed<T>(step: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.options.observeStep(step, (performance.now() - started) / 1000);
    }
  }
}
