/**
 * Stock and reservations on PostgreSQL. Every change is one transaction that locks the
 * stock rows it moves in product-id order (so concurrent multi-line reservations queue
 * instead of deadlocking), moves them with a conditional UPDATE that cannot take stock
 * below zero, records the movements, and writes inventory.stock_changed (and
 * inventory.low_stock when a product falls to its threshold) to the outbox: a change of
 * available stock is never left unannounced, and all lines of a reservation move or none do.
 *
 * Reservations are idempotent by id: a repeated call finds the row and answers from it.
 * Transactions always lock a reservation row before stock rows, and stock rows in
 * product-id order, so no two of them wait on each other in a cycle.
 */

import { status } from '@grpc/grpc-js';
import { inventoryErrors } from '@meshmart/contracts/inventory';
import { type EventData, enqueueEvents, GrpcError, inTransaction } from '@meshmart/kit';
import { currentTraceContext } from '@meshmart/kit/tracing';
import type pg from 'pg';
import { lowStockCounter, reservationsCounter } from './metrics.ts';

export type ReservationStatus = 'held' | 'committed' | 'released' | 'expired' | 'returned';
export type MovementKind = 'seed' | 'create' | 'adjust' | 'reserve' | 'release' | 'expire' | 'commit' | 'return';

export interface Line {
  productId: string;
  quantity: number;
}

export interface Reservation {
  id: string;
  status: ReservationStatus;
  lines: Line[];
  expiresAt: Date;
}

export interface StockRow {
  productId: string;
  available: number;
  held: number;
  lowStockThreshold: number;
  revision: number;
}

export interface Movement {
  kind: MovementKind;
  reservationId: string | null;
  availableDelta: number;
  heldDelta: number;
  actor: string | null;
  at: Date;
}

interface Move {
  productId: string;
  available: number;
  held: number;
}

interface StockDbRow {
  product_id: string;
  available: number;
  held: number;
  low_stock_threshold: number;
  revision: string;
  name: string | null;
}

interface ReservationDbRow {
  id: string;
  status: ReservationStatus;
  lines: Line[];
  expires_at: Date;
}

export interface LedgerOptions {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  defaultLowStockThreshold: number;
}

const toStock = (r: StockDbRow): StockRow => ({
  productId: r.product_id,
  available: r.available,
  held: r.held,
  lowStockThreshold: r.low_stock_threshold,
  revision: Number(r.revision),
});

const toReservation = (r: ReservationDbRow): Reservation => ({
  id: r.id,
  status: r.status,
  lines: r.lines,
  expiresAt: r.expires_at,
});

const sameLines = (a: Line[], b: Line[]) =>
  a.length === b.length && a.every((l, i) => l.productId === b[i]?.productId && l.quantity === b[i]?.quantity);

/** What a transaction decided to refuse after committing what it had to (an expiry it found). */
class RefusalAfterCommit {
  constructor(readonly error: GrpcError) {}
}

export class Ledger {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: LedgerOptions,
  ) {}

  /** Stock of the known products among `productIds`, in product-id order. */
  async getStock(productIds: string[]): Promise<StockRow[]> {
    const { rows } = await this.pool.query<StockDbRow>(
      `SELECT product_id, available, held, low_stock_threshold, revision, name FROM stock
       WHERE product_id = ANY($1) AND deleted_at IS NULL ORDER BY product_id`,
      [productIds],
    );
    return rows.map(toStock);
  }

  /**
   * Holds every item or none. `items` must name each product once. A repeat with the same
   * items answers the reservation as it is now; other items under that id are ALREADY_EXISTS.
   */
  async reserve(id: string, items: Line[], ttlSeconds: number): Promise<Reservation> {
    if (ttlSeconds < 0 || ttlSeconds > this.options.maxTtlSeconds) {
      throw new GrpcError(status.INVALID_ARGUMENT, `ttl_seconds must be between 1 and ${this.options.maxTtlSeconds}, or 0`);
    }
    const lines = [...items].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
    const ttl = ttlSeconds || this.options.defaultTtlSeconds;
    const reservation = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ReservationDbRow>(
        `INSERT INTO reservations (id, status, lines, expires_at) VALUES ($1, 'held', $2, now() + make_interval(secs => $3))
         ON CONFLICT (id) DO NOTHING RETURNING id, status, lines, expires_at`,
        [id, JSON.stringify(lines), ttl],
      );
      if (!rows[0]) return this.repeatedReserve(client, id, lines);
      const locked = await this.lock(
        client,
        lines.map((l) => l.productId),
        { includeDeleted: false },
      );
      const missing = lines.filter((l) => !locked.has(l.productId));
      if (missing.length > 0) {
        throw new GrpcError(status.NOT_FOUND, `unknown products: ${missing.map((l) => l.productId).join(', ')}`);
      }
      const short = lines.filter((l) => (locked.get(l.productId)?.available ?? 0) < l.quantity);
      if (short.length > 0) {
        const detail = short
          .map((l) => `${l.productId} (requested ${l.quantity}, available ${locked.get(l.productId)?.available ?? 0})`)
          .join(', ');
        throw new GrpcError(status.FAILED_PRECONDITION, detail, inventoryErrors.insufficientStock);
      }
      await this.move(
        client,
        locked,
        lines.map((l) => ({ productId: l.productId, available: -l.quantity, held: l.quantity })),
        'reserve',
        id,
      );
      return toReservation(rows[0]);
    }).catch((err: unknown) => {
      if (err instanceof GrpcError && err.errorCode === inventoryErrors.insufficientStock) {
        reservationsCounter.inc({ outcome: 'out_of_stock' });
      }
      throw err;
    });
    reservationsCounter.inc({ outcome: 'held' });
    return reservation;
  }

  private async repeatedReserve(client: pg.PoolClient, id: string, lines: Line[]): Promise<Reservation> {
    const existing = await this.reservation(client, id);
    if (existing.lines.length === 0) {
      throw new GrpcError(status.FAILED_PRECONDITION, `reservation ${id} was released before it was made`);
    }
    if (!sameLines(existing.lines, lines)) {
      throw new GrpcError(status.ALREADY_EXISTS, `reservation ${id} exists with other items`);
    }
    // Its stock went back: answering it as a reservation would let a caller sell stock it no longer holds.
    if (existing.status === 'released' || existing.status === 'expired') {
      throw new GrpcError(status.FAILED_PRECONDITION, `reservation ${id} is ${existing.status}`);
    }
    return existing;
  }

  /** Makes held stock sold; a second Commit answers the committed reservation. */
  async commit(id: string): Promise<Reservation> {
    return this.settle(id, async (client, r) => {
      if (r.status === 'committed' || r.status === 'returned') return r;
      if (r.status !== 'held') throw new GrpcError(status.FAILED_PRECONDITION, `reservation ${id} is ${r.status}`);
      if (r.expiresAt.getTime() <= Date.now()) {
        await this.expire(client, [r]);
        return new RefusalAfterCommit(new GrpcError(status.FAILED_PRECONDITION, `reservation ${id} is expired`));
      }
      return this.transition(client, r, 'committed', 'commit', (l) => ({ available: 0, held: -l.quantity }));
    });
  }

  /** Returns held stock. Releasing a committed reservation is FAILED_PRECONDITION: only order.cancelled returns sold stock. */
  async release(id: string): Promise<Reservation> {
    return this.settle(
      id,
      async (client, r) => {
        if (r.status === 'committed') throw new GrpcError(status.FAILED_PRECONDITION, `reservation ${id} is committed`);
        if (r.status !== 'held') return r;
        return this.transition(client, r, 'released', 'release', (l) => ({ available: l.quantity, held: -l.quantity }));
      },
      { tombstone: true },
    );
  }

  /** A cancelled order's stock comes back: held stock is released, sold stock returned, once. */
  async cancelOrder(id: string): Promise<Reservation> {
    return this.settle(
      id,
      async (client, r) => {
        if (r.status === 'held') {
          return this.transition(client, r, 'released', 'release', (l) => ({ available: l.quantity, held: -l.quantity }));
        }
        if (r.status === 'committed') {
          return this.transition(client, r, 'returned', 'return', (l) => ({ available: l.quantity, held: 0 }));
        }
        return r;
      },
      { tombstone: true },
    );
  }

  /**
   * Returns expired holds to stock, oldest first, at most `limit` per call. SKIP LOCKED
   * lets replicas sweep at once without waiting on or expiring the same reservation twice.
   */
  async sweep(limit: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ReservationDbRow>(
        `SELECT id, status, lines, expires_at FROM reservations
         WHERE status = 'held' AND expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length > 0) await this.expire(client, rows.map(toReservation));
      return rows.length;
    });
  }

  /** Sets what can be reserved (and the threshold); creates the product's stock if inventory has none yet. */
  async adjust(productId: string, available: number, lowStockThreshold: number | undefined, actor: string): Promise<StockRow> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO stock (product_id, available, low_stock_threshold, revision) VALUES ($1, 0, $2, 0)
         ON CONFLICT (product_id) DO NOTHING`,
        [productId, lowStockThreshold ?? this.options.defaultLowStockThreshold],
      );
      const locked = await this.lock(client, [productId]);
      const current = locked.get(productId) as StockDbRow;
      if (lowStockThreshold !== undefined && lowStockThreshold !== current.low_stock_threshold) {
        await client.query('UPDATE stock SET low_stock_threshold = $2 WHERE product_id = $1', [productId, lowStockThreshold]);
        current.low_stock_threshold = lowStockThreshold;
      }
      const [row] = await this.move(
        client,
        locked,
        [{ productId, available: available - current.available, held: 0 }],
        'adjust',
        null,
        actor,
      );
      return row as StockRow;
    });
  }

  /** Keeps the product's name for alerts and gives a new product a stock of 0; older events change nothing. */
  async productChanged(productId: string, name: string, revision: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<StockDbRow>(
        `INSERT INTO stock (product_id, available, low_stock_threshold, name, name_revision) VALUES ($1, 0, $2, $3, $4)
         ON CONFLICT (product_id) DO UPDATE SET name = excluded.name, name_revision = excluded.name_revision
           WHERE stock.name_revision < excluded.name_revision
         RETURNING product_id, available, held, low_stock_threshold, revision, name, (xmax = 0) AS inserted`,
        [productId, this.options.defaultLowStockThreshold, name, revision],
      );
      const created = rows[0] as (StockDbRow & { inserted: boolean }) | undefined;
      if (created?.inserted) {
        await this.record(client, [toStock(created)], [{ productId, available: 0, held: 0, reservationId: null }], 'create');
      }
    });
  }

  /** A deleted product can no longer be reserved; what is held of it still settles. */
  async productDeleted(productId: string, revision: number): Promise<void> {
    await this.pool.query(
      `UPDATE stock SET deleted_at = now(), name_revision = $2 WHERE product_id = $1 AND name_revision < $2`,
      [productId, revision],
    );
  }

  /** Newest movements of one product first. */
  async movements(productId: string, limit: number): Promise<Movement[]> {
    const { rows } = await this.pool.query<{
      kind: MovementKind;
      reservation_id: string | null;
      available_delta: number;
      held_delta: number;
      actor: string | null;
      at: Date;
    }>(
      `SELECT kind, reservation_id, available_delta, held_delta, actor, at FROM stock_movements
       WHERE product_id = $1 ORDER BY id DESC LIMIT $2`,
      [productId, limit],
    );
    return rows.map((r) => ({
      kind: r.kind,
      reservationId: r.reservation_id,
      availableDelta: r.available_delta,
      heldDelta: r.held_delta,
      actor: r.actor,
      at: r.at,
    }));
  }

  /** Seeds stock rows that do not exist yet, once per database (replicas starting together included). */
  async seed(marker: string, stock: Array<{ productId: string; available: number }>): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query('INSERT INTO meta (key) VALUES ($1) ON CONFLICT DO NOTHING', [marker]);
      if (!rowCount) return 0;
      const { rows } = await client.query<StockDbRow>(
        `INSERT INTO stock (product_id, available, low_stock_threshold)
         SELECT p, a, $3 FROM unnest($1::text[], $2::int[]) AS s(p, a)
         ON CONFLICT (product_id) DO NOTHING
         RETURNING product_id, available, held, low_stock_threshold, revision, name`,
        [stock.map((s) => s.productId), stock.map((s) => s.available), this.options.defaultLowStockThreshold],
      );
      const seeded = rows.map(toStock);
      await this.record(
        client,
        seeded,
        seeded.map((s) => ({ productId: s.productId, available: s.available, held: 0, reservationId: null })),
        'seed',
      );
      return seeded.length;
    });
  }

  /** Runs `work` on the reservation locked; an unknown id is NOT_FOUND, or a released tombstone when asked. */
  private async settle(
    id: string,
    work: (client: pg.PoolClient, r: Reservation) => Promise<Reservation | RefusalAfterCommit>,
    options: { tombstone?: boolean } = {},
  ): Promise<Reservation> {
    const result = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ReservationDbRow>(
        'SELECT id, status, lines, expires_at FROM reservations WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (rows[0]) return work(client, toReservation(rows[0]));
      if (!options.tombstone) throw new GrpcError(status.NOT_FOUND, `no reservation ${id}`);
      // Written so that a Reserve arriving after its Release holds nothing; a racing
      // Reserve that got in first makes this insert wait and then do nothing.
      const inserted = await client.query<ReservationDbRow>(
        `INSERT INTO reservations (id, status, lines, expires_at) VALUES ($1, 'released', '[]', now())
         ON CONFLICT (id) DO NOTHING RETURNING id, status, lines, expires_at`,
        [id],
      );
      if (inserted.rows[0]) return toReservation(inserted.rows[0]);
      return work(client, await this.reservation(client, id));
    });
    if (result instanceof RefusalAfterCommit) throw result.error;
    return result;
  }

  private async reservation(client: pg.PoolClient, id: string): Promise<Reservation> {
    const { rows } = await client.query<ReservationDbRow>(
      'SELECT id, status, lines, expires_at FROM reservations WHERE id = $1 FOR UPDATE',
      [id],
    );
    if (!rows[0]) throw new Error(`reservation ${id} vanished`);
    return toReservation(rows[0]);
  }

  private async transition(
    client: pg.PoolClient,
    r: Reservation,
    to: ReservationStatus,
    kind: MovementKind,
    delta: (l: Line) => { available: number; held: number },
  ): Promise<Reservation> {
    const locked = await this.lock(
      client,
      r.lines.map((l) => l.productId),
    );
    await this.move(
      client,
      locked,
      r.lines.map((l) => ({ productId: l.productId, ...delta(l) })),
      kind,
      r.id,
    );
    await client.query('UPDATE reservations SET status = $2, updated_at = now() WHERE id = $1', [r.id, to]);
    reservationsCounter.inc({ outcome: to });
    return { ...r, status: to };
  }

  /** Expires held reservations the caller has locked: all their stock back in one move per product. */
  private async expire(client: pg.PoolClient, reservations: Reservation[]): Promise<void> {
    const byProduct = new Map<string, number>();
    for (const r of reservations) {
      for (const l of r.lines) byProduct.set(l.productId, (byProduct.get(l.productId) ?? 0) + l.quantity);
    }
    const locked = await this.lock(client, [...byProduct.keys()]);
    const moves = [...byProduct].map(([productId, q]) => ({ productId, available: q, held: -q }));
    // One stock move per product, one movement row per reservation line: the history names each reservation.
    const lines = reservations.flatMap((r) =>
      r.lines.map((l) => ({ productId: l.productId, available: l.quantity, held: -l.quantity, reservationId: r.id })),
    );
    await this.move(client, locked, moves, 'expire', null, null, lines);
    await client.query(`UPDATE reservations SET status = 'expired', updated_at = now() WHERE id = ANY($1)`, [
      reservations.map((r) => r.id),
    ]);
    reservationsCounter.inc({ outcome: 'expired' }, reservations.length);
  }

  /** Locks the stock rows of `productIds` in product-id order, the one order every transaction uses. */
  private async lock(
    client: pg.PoolClient,
    productIds: string[],
    { includeDeleted = true } = {},
  ): Promise<Map<string, StockDbRow>> {
    const { rows } = await client.query<StockDbRow>(
      `SELECT product_id, available, held, low_stock_threshold, revision, name FROM stock
       WHERE product_id = ANY($1) AND ($2 OR deleted_at IS NULL) ORDER BY product_id FOR UPDATE`,
      [productIds, includeDeleted],
    );
    return new Map(rows.map((r) => [r.product_id, r]));
  }

  /**
   * Moves stock of rows the caller locked. The WHERE repeats the guard the CHECKs make,
   * so a move that would go below zero changes nothing instead of failing mid-statement.
   */
  private async move(
    client: pg.PoolClient,
    locked: Map<string, StockDbRow>,
    moves: Move[],
    kind: MovementKind,
    reservationId: string | null,
    actor: string | null = null,
    movements: Array<Move & { reservationId: string | null }> = moves.map((m) => ({ ...m, reservationId })),
  ): Promise<StockRow[]> {
    const { rows } = await client.query<StockDbRow>(
      `UPDATE stock s SET available = s.available + m.a, held = s.held + m.h, revision = s.revision + 1, updated_at = now()
       FROM unnest($1::text[], $2::int[], $3::int[]) AS m(p, a, h)
       WHERE s.product_id = m.p AND s.available + m.a >= 0 AND s.held + m.h >= 0
       RETURNING s.product_id, s.available, s.held, s.low_stock_threshold, s.revision, s.name`,
      [moves.map((m) => m.productId), moves.map((m) => m.available), moves.map((m) => m.held)],
    );
    if (rows.length !== moves.length) {
      throw new Error(`stock move ${kind} ${reservationId ?? ''} matched ${rows.length} of ${moves.length} products`);
    }
    const after = rows.map(toStock);
    await this.record(client, after, movements, kind, actor, locked);
    return after;
  }

  /** The movement rows and the events of a change whose stock is now `after`. */
  private async record(
    client: pg.PoolClient,
    after: StockRow[],
    movements: Array<Move & { reservationId: string | null }>,
    kind: MovementKind,
    actor: string | null = null,
    before?: Map<string, StockDbRow>,
  ): Promise<void> {
    if (after.length === 0) return;
    await client.query(
      `INSERT INTO stock_movements (product_id, kind, reservation_id, available_delta, held_delta, actor)
       SELECT p, $5, r, a, h, $6 FROM unnest($1::text[], $2::int[], $3::int[], $4::text[]) AS m(p, a, h, r)`,
      [
        movements.map((m) => m.productId),
        movements.map((m) => m.available),
        movements.map((m) => m.held),
        movements.map((m) => m.reservationId),
        kind,
        actor,
      ],
    );
    const traceContext = currentTraceContext();
    const at = new Date().toISOString();
    // A Commit turns held stock into sold and leaves `available`, the one stock figure the
    // subscribers keep, as it was: announcing it cost every paid checkout a fan-out to four
    // services for no change they show. Its revision still grows, so the next event
    // carries a revision past it.
    if (kind !== 'commit') {
      await enqueueEvents(
        client,
        'inventory.stock_changed',
        after.map((s) => ({
          data: { productId: s.productId, available: s.available, held: s.held, revision: s.revision, at },
          traceContext,
        })),
      );
    }
    const low: Array<EventData<'inventory.low_stock'>> = [];
    for (const s of after) {
      const previous = before?.get(s.productId);
      if (previous && previous.available > previous.low_stock_threshold && s.available <= s.lowStockThreshold) {
        // Until a product event names it, the alert names the product by its id.
        const name = previous.name ?? s.productId;
        low.push({ productId: s.productId, name, available: s.available, threshold: s.lowStockThreshold, at });
      }
    }
    if (low.length > 0) {
      await enqueueEvents(
        client,
        'inventory.low_stock',
        low.map((data) => ({ data, traceContext })),
      );
      lowStockCounter.inc(low.length);
    }
  }
}
