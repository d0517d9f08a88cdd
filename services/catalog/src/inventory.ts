/**
 * Reservations against product stock without multi-document transactions. A reservation
 * is written first (its lines, and a lease naming who moves its stock), then stock moves
 * product by product, each move recorded in a new reservation revision that also renews
 * the lease. Revisions are compare-and-swap (versioned-store.ts), so an owner that
 * stalled and was taken over cannot record anything more. A replica that dies midway
 * leaves a transitional status whose lease runs out; a retry of the same call, or any
 * replica's sweeper, then finishes the move or, for an abandoned Reserve, undoes it. The
 * moves themselves are idempotent (stock-moves.ts), so finishing twice is harmless.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { GrpcError, type Logger } from '@meshmart/kit';
import { reservationsCounter } from './metrics.ts';
import type { ProductState, ReservationLine, ReservationState, ShortItem } from './models.ts';
import { decide, isPhase, type Operation, outcomeOf, type Phase, phases } from './reservation-rules.ts';
import type { StockMoves } from './stock-moves.ts';
import { SETTLED } from './stores.ts';
import type { Current, VersionedStore } from './versioned-store.ts';

export interface InventoryOptions {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  /** How long the replica moving a reservation's stock owns it without recording progress. */
  leaseMs: number;
  /** How long a call waits for another call to finish moving the same reservation. */
  waitMs?: number;
  /** Return markers are forgotten this long after the return, when no duplicate can still be running. */
  returnMarkerGraceMs?: number;
  /** Settled reservations stay in the live collections this long, then move to the archive. */
  retentionMs?: number;
  logger: Logger;
}

export interface RequestedItem {
  productId: string;
  quantity: number;
}

export type Reservation = Current<ReservationState>;

const HOLDING_NOTHING = new Set(['failed', 'released', 'expired']);
const BATCH = 100;

/** Whether the sweeper has something to do for a reservation, as its head shows it. */
function isDue(head: Partial<ReservationState>, now: Date): boolean {
  if (head.status === 'held') return !head.expiresAt || head.expiresAt <= now;
  return !head.leaseUntil || head.leaseUntil <= now;
}

export class Inventory {
  private readonly waitMs: number;
  private readonly returnMarkerGraceMs: number;
  private readonly retentionMs: number;

  constructor(
    private readonly reservations: VersionedStore<ReservationState>,
    private readonly products: VersionedStore<ProductState>,
    private readonly moves: StockMoves,
    private readonly options: InventoryOptions,
  ) {
    this.waitMs = options.waitMs ?? 3000;
    this.returnMarkerGraceMs = options.returnMarkerGraceMs ?? 3_600_000;
    this.retentionMs = options.retentionMs ?? 120_000;
  }

  /** Available stock of each product, in the order asked. */
  async checkStock(productIds: string[]): Promise<Array<{ productId: string; available: number }>> {
    const products = await this.current([...new Set(productIds)]);
    return productIds.map((productId) => ({ productId, available: products.get(productId)?.stock ?? 0 }));
  }

  /** Holds every item or none; the same id again answers with the existing reservation. */
  async reserve(id: string, items: RequestedItem[], ttlSeconds: number): Promise<Reservation> {
    const ttl = ttlSeconds === 0 ? this.options.defaultTtlSeconds : ttlSeconds;
    if (ttl < 1 || ttl > this.options.maxTtlSeconds) {
      throw new GrpcError(status.INVALID_ARGUMENT, `ttl_seconds must be between 1 and ${this.options.maxTtlSeconds}, or 0`);
    }
    return this.settle('reserve', id, items, async () => {
      const lines = await this.priceLines(items);
      const now = new Date();
      const created = await this.reservations.append(id, null, {
        ...this.blank(now, new Date(now.getTime() + ttl * 1000)),
        status: 'pending',
        lines,
        leaseToken: randomUUID(),
        leaseUntil: new Date(now.getTime() + this.options.leaseMs),
      });
      if (created) await this.drive(id, created);
    });
  }

  async commit(id: string): Promise<Reservation> {
    return this.settle('commit', id);
  }

  async release(id: string): Promise<Reservation> {
    return this.settle('release', id, [], () => this.writeTombstone(id));
  }

  /** The order was cancelled: give back held stock, or sold stock if it was committed. */
  async cancelOrder(id: string): Promise<Reservation> {
    return this.settle('cancel', id, [], () => this.writeTombstone(id));
  }

  /**
   * Expires held reservations past their time and finishes moves abandoned by their owner.
   * It looks only at reservations listed as open, each by id, and takes settled ones off
   * the list, so its work follows the reservations in flight, not the history.
   */
  async sweep(now = new Date()): Promise<number> {
    let handled = 0;
    for (const id of await this.reservations.openKeys()) {
      const head = await this.reservations.heads.findById(id).lean<Partial<ReservationState>>();
      if (head?.status && !SETTLED.has(head.status) && !isDue(head, now)) continue;
      const current = await this.reservations.latest(id);
      if (!current || SETTLED.has(current.state.status)) {
        await this.reservations.closeIfSettled(id);
        continue;
      }
      const decision = decide('sweep', id, current.state, now, { pendingGraceMs: this.options.leaseMs });
      if (decision.kind !== 'claim') continue;
      const claimed = await this.claim(id, current, decision.to, now);
      if (claimed) {
        await this.drive(id, claimed);
        handled++;
      }
    }
    return handled;
  }

  /**
   * Gives back stock still marked as held by reservations that hold nothing any more. Only
   * an owner that stalled past its lease while its Reserve was undone can leave one behind.
   */
  async repairOrphanHolds(): Promise<number> {
    const holders = await this.moves.holders(BATCH);
    const ids = [...new Set(holders.flatMap((p) => p.holds))];
    const reservations = new Map<string, ReservationState>();
    for (const id of ids) {
      const r = await this.reservations.find(id);
      if (r) reservations.set(id, r.state);
    }
    let repaired = 0;
    for (const product of holders) {
      for (const holder of product.holds) {
        const r = reservations.get(holder);
        const line = r?.lines.find((l) => l.productId === product._id);
        if (!r || !line) continue;
        if (r.status === 'committed') {
          await this.moves.dropHold(product._id, holder);
        } else if (HOLDING_NOTHING.has(r.status)) {
          await this.moves.giveBack(product._id, holder, line.quantity);
          this.options.logger.warn('gave back an orphaned hold', { reservation_id: holder, product_id: product._id });
        } else {
          continue;
        }
        repaired++;
      }
    }
    return repaired;
  }

  /**
   * Moves reservations settled for longer than the retention to the archive, where
   * repeated calls still find them by id. Those whose return markers are still on their
   * products wait for `pruneReturnMarkers`.
   */
  async archiveSettled(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.retentionMs);
    const due = await this.reservations.heads
      .find({
        status: { $in: [...SETTLED] },
        updatedAt: { $lte: cutoff },
        $or: [{ returnedAfterCommit: { $ne: true } }, { returnsPrunedAt: { $ne: null } }],
      })
      .limit(BATCH)
      .lean<Array<{ _id: string }>>();
    const archived = await this.reservations.archive(
      due.map((h) => h._id),
      (r) => SETTLED.has(r.status) && r.updatedAt <= cutoff && !(r.returnedAfterCommit && !r.returnsPrunedAt),
    );
    return archived.length;
  }

  /** Removes the return markers of cancelled orders once the grace period is over. */
  async pruneReturnMarkers(now = new Date()): Promise<number> {
    const due = await this.reservations.heads
      .find({
        status: 'released',
        returnedAfterCommit: true,
        returnsPrunedAt: null,
        updatedAt: { $lte: new Date(now.getTime() - this.returnMarkerGraceMs) },
      })
      .limit(BATCH)
      .lean<Array<{ _id: string }>>();
    let pruned = 0;
    for (const { _id: id } of due) {
      const r = await this.reservations.latest(id);
      if (r?.state.status !== 'released' || r.state.returnsPrunedAt) continue;
      for (const line of r.state.lines) await this.moves.forgetReturn(line.productId, id);
      if (await this.reservations.append(id, r, { ...r.state, returnsPrunedAt: now })) pruned++;
    }
    return pruned;
  }

  /**
   * Applies `op` until the reservation answers it: creating it, claiming and moving it,
   * or waiting while another call moves it.
   */
  private async settle(
    op: Exclude<Operation, 'sweep'>,
    id: string,
    requested: RequestedItem[] = [],
    create?: () => Promise<void>,
  ): Promise<Reservation> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const now = new Date();
      // Commit creates nothing, so it must tell an archived reservation from an unknown one
      // itself; the others learn it when their create finds the id claimed.
      const current = op === 'commit' ? await this.reservations.find(id) : await this.reservations.latest(id);
      const decision = decide(op, id, current?.state ?? null, now, { requested });
      if (decision.kind === 'answer' && current) return current;
      if (decision.kind === 'reject') throw new GrpcError(status[decision.code], decision.message);
      if (decision.kind === 'create' && create) {
        await create();
        continue;
      }
      if (decision.kind === 'claim' && current) {
        const claimed = await this.claim(id, current, decision.to, now);
        if (claimed) {
          await this.drive(id, claimed);
          continue;
        }
      }
      if (Date.now() > deadline) {
        throw new GrpcError(status.ABORTED, `reservation ${id} is being changed by another call; retry`);
      }
      await sleep(20 + Math.random() * 40);
    }
  }

  /** Takes the reservation into `to` under a new lease; null if someone else changed it first. */
  private async claim(id: string, current: Reservation, to: ReservationState['status'], now: Date) {
    const from = current.state.status;
    return this.reservations.append(id, current, {
      ...current.state,
      status: to,
      leaseToken: randomUUID(),
      leaseUntil: new Date(now.getTime() + this.options.leaseMs),
      updatedAt: now,
      moved: from === to ? current.state.moved : [],
      failure: from === 'pending' && to === 'failing' ? 'interrupted' : current.state.failure,
    });
  }

  /**
   * Moves every line's stock for the reservation's phase, then settles it. Stops as soon as
   * it no longer owns the reservation. On an error it gives its lease up, so a retry or the
   * sweeper can carry on at once.
   */
  private async drive(id: string, claimed: Reservation): Promise<void> {
    const owned = { current: claimed };
    try {
      await this.move(id, owned);
    } catch (err) {
      if (isPhase(owned.current.state.status)) {
        await this.reservations.append(id, owned.current, { ...owned.current.state, leaseUntil: new Date() }).catch(() => null);
      }
      throw err;
    }
  }

  /** `owned.current` is always the newest revision this call wrote. */
  private async move(id: string, owned: { current: Reservation }): Promise<void> {
    const phase = owned.current.state.status as Phase;
    const { move, ends } = phases[phase];
    const todo = owned.current.state.lines.filter((l) => !owned.current.state.moved.includes(l.productId));
    for (const [index, line] of todo.entries()) {
      const current = owned.current;
      if (Date.now() >= (current.state.leaseUntil?.getTime() ?? 0)) return;
      switch (move) {
        case 'take': {
          const taken = await this.moves.take(line.productId, id, line.quantity);
          if (!taken.ok) {
            const shortItems = await this.shortItems(current.state.lines, line, 'available' in taken ? taken.available : 0);
            const failing = await this.reservations.append(id, current, {
              ...current.state,
              status: 'failing',
              failure: 'out_of_stock',
              shortItems,
              moved: [],
              updatedAt: new Date(),
            });
            if (failing) {
              owned.current = failing;
              await this.move(id, owned);
            }
            return;
          }
          break;
        }
        case 'give_back':
          await this.moves.giveBack(line.productId, id, line.quantity);
          break;
        case 'drop_hold':
          await this.moves.dropHold(line.productId, id);
          break;
        case 'return_sold':
          await this.moves.returnSold(line.productId, id, line.quantity);
          break;
      }
      // The last line's progress is recorded by settling.
      if (index === todo.length - 1) break;
      const next = await this.reservations.append(id, current, {
        ...current.state,
        moved: [...current.state.moved, line.productId],
        leaseUntil: new Date(Date.now() + this.options.leaseMs),
      });
      if (!next) return;
      owned.current = next;
    }
    const current = owned.current;
    const settled = await this.reservations.append(id, current, {
      ...current.state,
      status: ends,
      moved: current.state.lines.map((l) => l.productId),
      leaseToken: null,
      leaseUntil: null,
      updatedAt: new Date(),
      returnedAfterCommit: current.state.returnedAfterCommit || phase === 'returning',
    });
    if (settled) {
      owned.current = settled;
      reservationsCounter.inc({ outcome: outcomeOf(phase, current.state) });
    }
  }

  /** Every line short of stock, for the error: the one that failed and any other visibly short now. */
  private async shortItems(lines: ReservationLine[], failed: ReservationLine, available: number): Promise<ShortItem[]> {
    const others = lines.filter((l) => l.productId !== failed.productId);
    const short: ShortItem[] = [{ productId: failed.productId, name: failed.name, requested: failed.quantity, available }];
    for (const line of others) {
      const stock = (await this.products.latest(line.productId))?.state.stock ?? 0;
      if (stock < line.quantity) {
        short.push({ productId: line.productId, name: line.name, requested: line.quantity, available: stock });
      }
    }
    return short;
  }

  /** Products as they are now; unknown or deleted ids are NOT_FOUND. */
  private async current(productIds: string[]): Promise<Map<string, ProductState>> {
    const found = new Map<string, ProductState>();
    for (const id of productIds) {
      const p = await this.products.latest(id);
      if (p && !p.state.deletedAt) found.set(id, p.state);
    }
    const missing = productIds.filter((id) => !found.has(id));
    if (missing.length > 0) throw new GrpcError(status.NOT_FOUND, `unknown products: ${missing.join(', ')}`);
    return found;
  }

  /** The prices and names a reservation carries are the catalog's at reservation time. */
  private async priceLines(items: RequestedItem[]): Promise<ReservationLine[]> {
    const products = await this.current(items.map((i) => i.productId));
    const lines = items.map((i) => {
      const p = products.get(i.productId) as ProductState;
      return { productId: i.productId, quantity: i.quantity, unitPriceMinor: p.priceMinor, currency: p.currency, name: p.name };
    });
    if (new Set(lines.map((l) => l.currency)).size > 1) {
      throw new GrpcError(status.INVALID_ARGUMENT, 'the items are priced in different currencies; reserve them separately');
    }
    return lines;
  }

  private blank(now: Date, expiresAt: Date): ReservationState {
    return {
      status: 'released',
      lines: [],
      expiresAt,
      moved: [],
      leaseToken: null,
      leaseUntil: null,
      failure: null,
      shortItems: [],
      returnedAfterCommit: false,
      returnsPrunedAt: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  private async writeTombstone(id: string): Promise<void> {
    const now = new Date();
    await this.reservations.append(id, null, this.blank(now, now));
  }
}
