/**
 * The reservation state machine, without I/O. Settled states answer calls; transitional
 * states mean stock is being moved line by line under a lease, and whoever finds one
 * whose lease ran out finishes it (or, for an abandoned Reserve, undoes it).
 *
 *   pending ──▶ held ──▶ committing ──▶ committed ──▶ returning ──▶ released
 *      │          ├────▶ releasing ──▶ released        (order cancelled after payment)
 *      ▼          └────▶ expiring  ──▶ expired
 *   failing ──▶ failed
 */
import type { ReservationLine, ReservationState, ReservationStatus } from './models.ts';

export type Operation = 'reserve' | 'commit' | 'release' | 'cancel' | 'sweep';

export type Decision =
  /** Reserve: write a new pending reservation. Release/cancel: write a released tombstone. */
  | { kind: 'create' }
  | { kind: 'answer' }
  | { kind: 'reject'; code: 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'ALREADY_EXISTS'; message: string }
  /** Someone else is moving its stock; look again shortly. */
  | { kind: 'wait' }
  /** Take the reservation from `from` to `to` (with a stale lease when `from` is transitional), then move stock. */
  | { kind: 'claim'; from: ReservationStatus; to: ReservationStatus }
  | { kind: 'none' };

export type StockMove = 'take' | 'give_back' | 'drop_hold' | 'return_sold';

/** What each transitional status does to every line's stock, and where it ends. */
export const phases = {
  pending: { move: 'take', ends: 'held' },
  failing: { move: 'give_back', ends: 'failed' },
  committing: { move: 'drop_hold', ends: 'committed' },
  releasing: { move: 'give_back', ends: 'released' },
  expiring: { move: 'give_back', ends: 'expired' },
  returning: { move: 'return_sold', ends: 'released' },
} as const satisfies Partial<Record<ReservationStatus, { move: StockMove; ends: ReservationStatus }>>;

export type Phase = keyof typeof phases;

export function isPhase(status: ReservationStatus): status is Phase {
  return status in phases;
}

export type RuleState = Pick<ReservationState, 'status' | 'lines' | 'expiresAt' | 'leaseUntil' | 'failure' | 'shortItems'>;

export function leaseIsStale(r: Pick<ReservationState, 'leaseUntil'>, now: Date): boolean {
  return !r.leaseUntil || r.leaseUntil.getTime() <= now.getTime();
}

/** Same products and quantities, in any order. */
export function sameLines(
  a: Pick<ReservationLine, 'productId' | 'quantity'>[],
  b: Pick<ReservationLine, 'productId' | 'quantity'>[],
) {
  const key = (lines: typeof a) =>
    lines
      .map((l) => `${l.productId}\u0000${l.quantity}`)
      .sort()
      .join('\u0001');
  return key(a) === key(b);
}

export function failureMessage(id: string, r: Pick<ReservationState, 'failure' | 'shortItems'>): string {
  if (r.failure === 'interrupted') return `reservation ${id} was interrupted before it held all items; nothing is held`;
  // Names, not ids: orders shows this text to the buyer ("out of stock: Blue Mug (requested 2, available 1)").
  const items = r.shortItems.map((s) => `${s.name ?? s.productId} (requested ${s.requested}, available ${s.available})`);
  return `insufficient stock: ${items.join(', ')}`;
}

/** A Release that came first leaves this, so a late Reserve under the same id holds nothing. */
export function isTombstone(r: Pick<ReservationState, 'status' | 'lines'>): boolean {
  return r.status === 'released' && r.lines.length === 0;
}

export interface DecideOptions {
  /** Reserve: the items asked for. */
  requested?: Pick<ReservationLine, 'productId' | 'quantity'>[];
  /**
   * Sweep: how long past its lease an abandoned Reserve is left alone, so that the
   * caller's own retry can finish it before the sweeper undoes it.
   */
  pendingGraceMs?: number;
}

export function decide(op: Operation, id: string, r: RuleState | null, now: Date, options: DecideOptions = {}): Decision {
  const { requested = [], pendingGraceMs = 0 } = options;
  if (!r) {
    if (op === 'reserve' || op === 'release' || op === 'cancel') return { kind: 'create' };
    if (op === 'commit') return { kind: 'reject', code: 'NOT_FOUND', message: 'no such reservation' };
    return { kind: 'none' };
  }
  if (op === 'reserve' && isTombstone(r)) {
    return { kind: 'reject', code: 'FAILED_PRECONDITION', message: `reservation ${id} was released before it was made` };
  }
  if (op === 'reserve' && !sameLines(r.lines, requested)) {
    return { kind: 'reject', code: 'ALREADY_EXISTS', message: `reservation ${id} exists with other items` };
  }
  if (isPhase(r.status)) {
    if (!leaseIsStale(r, now)) return op === 'sweep' ? { kind: 'none' } : { kind: 'wait' };
    if (op === 'sweep' && r.status === 'pending' && !leaseIsStale(r, new Date(now.getTime() - pendingGraceMs))) {
      return { kind: 'none' };
    }
    // An abandoned Reserve is finished only by a retry of that Reserve; anyone else undoes it.
    if (r.status === 'pending' && op !== 'reserve') return { kind: 'claim', from: 'pending', to: 'failing' };
    return { kind: 'claim', from: r.status, to: r.status };
  }
  const expired = r.expiresAt.getTime() <= now.getTime();
  const precondition = (message: string): Decision => ({ kind: 'reject', code: 'FAILED_PRECONDITION', message });
  switch (op) {
    case 'reserve':
      return r.status === 'failed' ? precondition(failureMessage(id, r)) : { kind: 'answer' };
    case 'commit':
      if (r.status === 'held') return { kind: 'claim', from: 'held', to: expired ? 'expiring' : 'committing' };
      if (r.status === 'committed') return { kind: 'answer' };
      return precondition(`reservation ${id} is ${r.status} and cannot be committed`);
    case 'release':
      if (r.status === 'held') return { kind: 'claim', from: 'held', to: 'releasing' };
      if (r.status === 'committed') return precondition(`reservation ${id} is committed: its stock is sold`);
      return { kind: 'answer' };
    case 'cancel':
      if (r.status === 'held') return { kind: 'claim', from: 'held', to: 'releasing' };
      if (r.status === 'committed') return { kind: 'claim', from: 'committed', to: 'returning' };
      return { kind: 'answer' };
    case 'sweep':
      return r.status === 'held' && expired ? { kind: 'claim', from: 'held', to: 'expiring' } : { kind: 'none' };
  }
}

/** Label of catalog_reservations_total for a phase that has just ended. */
export function outcomeOf(phase: Phase, r: Pick<ReservationState, 'failure'>): string {
  switch (phase) {
    case 'pending':
      return 'held';
    case 'failing':
      return r.failure ?? 'out_of_stock';
    case 'committing':
      return 'committed';
    case 'releasing':
      return 'released';
    case 'expiring':
      return 'expired';
    case 'returning':
      return 'returned';
  }
}
