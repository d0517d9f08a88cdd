/**
 * Orders in PostgreSQL, and the saga's persistence. Every saga write is fenced by the
 * runner's lease token, so a runner that lost its order to another (after a pause longer
 * than the lease) cannot overwrite what the new owner did.
 */
import { enqueueEvent, inTransaction } from '@meshmart/kit';
import type pg from 'pg';
import type {
  FailureClass,
  LeasedOrder,
  Order,
  OrderLine,
  OrderStatus,
  RequestedItem,
  SagaStep,
  ShippingAddress,
  TimelineEntry,
} from './order.ts';
import { LeaseLost, type OrderEvent, type SagaStore, type Transition } from './saga-ports.ts';

interface OrderRow {
  id: string;
  user_id: string;
  user_email: string;
  fingerprint: string;
  items: RequestedItem[];
  shipping_address: ShippingAddress;
  status: OrderStatus;
  step: SagaStep;
  reason: string | null;
  failure_class: FailureClass | null;
  lines: OrderLine[];
  total_minor: string;
  currency: string | null;
  payment_id: string | null;
  refunded_minor: string;
  lease_token: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface StoredOrder extends Order {
  fingerprint: string;
  leaseToken: string | null;
}

function fromRow(row: OrderRow): StoredOrder {
  return {
    id: row.id,
    userId: row.user_id,
    userEmail: row.user_email,
    status: row.status,
    step: row.step,
    reason: row.reason,
    failureClass: row.failure_class,
    items: row.items,
    lines: row.lines,
    totalMinor: Number(row.total_minor),
    currency: row.currency,
    shippingAddress: row.shipping_address,
    paymentId: row.payment_id,
    refundedMinor: Number(row.refunded_minor),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    fingerprint: row.fingerprint,
    leaseToken: row.lease_token,
  };
}

function leased(row: OrderRow | undefined): LeasedOrder | undefined {
  if (!row) return undefined;
  const { fingerprint: _f, leaseToken, ...order } = fromRow(row);
  if (leaseToken === null) throw new Error(`order ${row.id} has no lease`);
  return { ...order, leaseToken };
}

export interface NewOrder {
  id: string;
  userId: string;
  userEmail: string;
  idempotencyKey: string;
  fingerprint: string;
  items: RequestedItem[];
  shippingAddress: ShippingAddress;
  leaseToken: string;
}

export interface PaymentEvent {
  eventId: string;
  topic: 'payment.succeeded' | 'payment.failed' | 'payment.refunded';
  orderId: string;
  paymentId: string;
  amountMinor: number;
}

const INSERT_TIMELINE = 'INSERT INTO order_timeline (order_id, status, note) VALUES ($1, $2, $3)';
/** Consecutive deferrals wait 2, 4, 8 … seconds, at most a minute. */
const DEFER_SQL = `
  UPDATE orders SET lease_token = NULL, attempts = attempts + 1,
    lease_until = now() + make_interval(secs => least(60, 2 ^ (attempts + 1)))
  WHERE id = $1 AND lease_token = $2`;

export class OrdersRepo implements SagaStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly leaseSeconds: number,
  ) {}

  /** One statement writes the order and its first timeline entry, so it needs no transaction around it. */
  async insert(order: NewOrder): Promise<LeasedOrder> {
    const { rows } = await this.pool.query<OrderRow>(
      `WITH placed AS (
         INSERT INTO orders (id, user_id, user_email, idempotency_key, fingerprint, items, shipping_address,
           status, step, lease_token, lease_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 'reserving', $8, now() + make_interval(secs => $9))
         RETURNING *
       ), noted AS (
         INSERT INTO order_timeline (order_id, status, note) SELECT id, status, 'order placed' FROM placed
       )
       SELECT * FROM placed`,
      [
        order.id,
        order.userId,
        order.userEmail,
        order.idempotencyKey,
        order.fingerprint,
        JSON.stringify(order.items),
        JSON.stringify(order.shippingAddress),
        order.leaseToken,
        this.leaseSeconds,
      ],
    );
    return leased(rows[0]) as LeasedOrder;
  }

  async byKey(userId: string, idempotencyKey: string): Promise<StoredOrder | undefined> {
    const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2', [
      userId,
      idempotencyKey,
    ]);
    return rows[0] && fromRow(rows[0]);
  }

  async byId(id: string): Promise<StoredOrder | undefined> {
    const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async listForUser(userId: string, limit: number, offset: number): Promise<{ items: StoredOrder[]; total: number }> {
    const [page, count] = await Promise.all([
      this.pool.query<OrderRow>('SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3', [
        userId,
        limit,
        offset,
      ]),
      this.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE user_id = $1', [userId]),
    ]);
    return { items: page.rows.map(fromRow), total: Number(count.rows[0]?.n ?? 0) };
  }

  async timelines(orderIds: string[]): Promise<Map<string, TimelineEntry[]>> {
    const byOrder = new Map<string, TimelineEntry[]>(orderIds.map((id) => [id, []]));
    if (orderIds.length === 0) return byOrder;
    const { rows } = await this.pool.query<{ order_id: string; status: OrderStatus; note: string; at: Date }>(
      'SELECT order_id, status, note, at FROM order_timeline WHERE order_id = ANY($1::uuid[]) ORDER BY id',
      [orderIds],
    );
    for (const row of rows) byOrder.get(row.order_id)?.push({ status: row.status, at: row.at.toISOString(), note: row.note });
    return byOrder;
  }

  /** Takes over one order whose runner is gone (its lease expired). */
  async claimStale(id: string, leaseToken: string): Promise<LeasedOrder | undefined> {
    const { rows } = await this.pool.query<OrderRow>(
      `UPDATE orders SET lease_token = $2, lease_until = now() + make_interval(secs => $3)
       WHERE id = $1 AND step <> 'done' AND lease_until < now() RETURNING *`,
      [id, leaseToken, this.leaseSeconds],
    );
    return leased(rows[0]);
  }

  /**
   * Claims up to `limit` orders whose saga is unfinished and unowned. SKIP LOCKED lets
   * replicas scan together without waiting on, or taking, each other's rows.
   */
  async claimDue(limit: number): Promise<LeasedOrder[]> {
    const { rows } = await this.pool.query<OrderRow>(
      `WITH due AS (
         SELECT id FROM orders WHERE step <> 'done' AND lease_until < now()
         ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       UPDATE orders o SET lease_token = gen_random_uuid(), lease_until = now() + make_interval(secs => $2)
       FROM due WHERE o.id = due.id RETURNING o.*`,
      [limit, this.leaseSeconds],
    );
    return rows.map((row) => leased(row) as LeasedOrder);
  }

  /** Starts cancelling a paid order; undefined when it is not (or no longer) paid and idle. */
  async startCancel(id: string, reason: string, leaseToken: string): Promise<LeasedOrder | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<OrderRow>(
        `UPDATE orders SET step = 'cancelling', reason = $2, lease_token = $3,
           lease_until = now() + make_interval(secs => $4), updated_at = now()
         WHERE id = $1 AND status = 'paid' AND step = 'done' RETURNING *`,
        [id, reason, leaseToken, this.leaseSeconds],
      );
      if (rows[0]) await client.query(INSERT_TIMELINE, [id, 'paid', `cancellation requested: ${reason}`]);
      return leased(rows[0]);
    });
  }

  async advance(order: LeasedOrder, transition: Transition): Promise<LeasedOrder> {
    // Without an event the move is one statement, atomic on its own.
    if (!transition.event) return this.move(this.pool, order, transition);
    return inTransaction(this.pool, (client) => this.apply(client, order, transition));
  }

  async settleFailure(order: LeasedOrder, failed: Transition): Promise<LeasedOrder> {
    return inTransaction(this.pool, async (client) => {
      // The row lock orders this against a payment.succeeded being recorded concurrently.
      const { rows } = await client.query<{ payment_id: string | null }>(
        'SELECT payment_id FROM orders WHERE id = $1 AND lease_token = $2 FOR UPDATE',
        [order.id, order.leaseToken],
      );
      if (!rows[0]) throw new LeaseLost(`order ${order.id} is owned by another runner`);
      if (rows[0].payment_id === null) {
        const charge = await this.chargeReported(client, order.id);
        if (charge) {
          return this.apply(client, order, {
            step: 'refunding',
            paymentId: charge.paymentId,
            note: `payments reported charge ${charge.paymentId}; refunding it`,
          });
        }
      }
      return this.apply(client, order, failed);
    });
  }

  reportedCharge(orderId: string): Promise<{ paymentId: string } | undefined> {
    return this.chargeReported(this.pool, orderId);
  }

  async renew(order: LeasedOrder): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE orders SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND lease_token = $2',
      [order.id, order.leaseToken, this.leaseSeconds],
    );
    return rowCount === 1;
  }

  async defer(order: LeasedOrder): Promise<void> {
    await this.pool.query(DEFER_SQL, [order.id, order.leaseToken]);
  }

  /**
   * Records a payment event once (by event id) on the order's timeline. A charge reported
   * for an order that has already failed without one is a charge the saga never saw
   * succeed: the order goes back to refunding, for the recovery loop to pick up now.
   */
  async recordPaymentEvent(event: PaymentEvent): Promise<'recorded' | 'duplicate' | 'refund_scheduled'> {
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query(
        `INSERT INTO payment_events (event_id, topic, order_id, payment_id, amount_minor)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
        [event.eventId, event.topic, event.orderId, event.paymentId, event.amountMinor],
      );
      if (inserted.rowCount === 0) return 'duplicate';
      const { rows } = await client.query<{ status: OrderStatus; step: SagaStep; payment_id: string | null }>(
        'SELECT status, step, payment_id FROM orders WHERE id = $1 FOR UPDATE',
        [event.orderId],
      );
      const order = rows[0];
      if (!order) return 'recorded';
      await client.query(INSERT_TIMELINE, [
        event.orderId,
        order.status,
        `payments reported ${event.topic} for payment ${event.paymentId} (${event.amountMinor})`,
      ]);
      const orphan =
        event.topic === 'payment.succeeded' && order.status === 'failed' && order.step === 'done' && order.payment_id === null;
      if (!orphan) return 'recorded';
      await client.query(
        `UPDATE orders SET step = 'refunding', payment_id = $2, lease_token = NULL, lease_until = now(), updated_at = now()
         WHERE id = $1`,
        [event.orderId, event.paymentId],
      );
      await client.query(INSERT_TIMELINE, [event.orderId, order.status, `refunding payment ${event.paymentId}`]);
      return 'refund_scheduled';
    });
  }

  private async chargeReported(db: pg.Pool | pg.PoolClient, orderId: string): Promise<{ paymentId: string } | undefined> {
    const { rows } = await db.query<{ payment_id: string }>(
      "SELECT payment_id FROM payment_events WHERE order_id = $1 AND topic = 'payment.succeeded' ORDER BY received_at LIMIT 1",
      [orderId],
    );
    return rows[0] && { paymentId: rows[0].payment_id };
  }

  /** The transition and the event it announces, in the caller's transaction. */
  private async apply(client: pg.PoolClient, order: LeasedOrder, t: Transition): Promise<LeasedOrder> {
    const moved = await this.move(client, order, t);
    if (t.event) await enqueueEvent<OrderEvent['topic']>(client, t.event.topic, t.event.data);
    return moved;
  }

  /** The transition and its timeline entry in one statement, fenced by the lease. */
  private async move(db: pg.Pool | pg.PoolClient, order: LeasedOrder, t: Transition): Promise<LeasedOrder> {
    const done = t.step === 'done';
    const { rows } = await db.query<OrderRow>(
      `WITH moved AS (
         UPDATE orders SET
           step = $3,
           status = coalesce($4, status),
           reason = coalesce($5, reason),
           failure_class = coalesce($6, failure_class),
           lines = coalesce($7::jsonb, lines),
           total_minor = coalesce($8, total_minor),
           currency = coalesce($9, currency),
           payment_id = coalesce($10, payment_id),
           refunded_minor = coalesce($11, refunded_minor),
           attempts = 0,
           lease_token = CASE WHEN $12 THEN NULL ELSE lease_token END,
           lease_until = CASE WHEN $12 THEN now() ELSE now() + make_interval(secs => $13) END,
           updated_at = now()
         WHERE id = $1 AND lease_token = $2
         RETURNING *
       ), noted AS (
         INSERT INTO order_timeline (order_id, status, note) SELECT id, status, $14 FROM moved
       )
       SELECT * FROM moved`,
      [
        order.id,
        order.leaseToken,
        t.step,
        t.status ?? null,
        t.reason ?? null,
        t.failureClass ?? null,
        t.lines ? JSON.stringify(t.lines) : null,
        t.totalMinor ?? null,
        t.currency ?? null,
        t.paymentId ?? null,
        t.refundedMinor ?? null,
        done,
        this.leaseSeconds,
        t.note,
      ],
    );
    const row = rows[0];
    if (!row) throw new LeaseLost(`order ${order.id} is owned by another runner`);
    const { fingerprint: _f, leaseToken: _l, ...updated } = fromRow(row);
    // A finished saga gives its lease back; the runner stops at `done` and never writes again.
    return { ...updated, leaseToken: order.leaseToken };
  }
}
