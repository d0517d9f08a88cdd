import assert from 'node:assert/strict';
import type { ReservationState } from '../src/models.ts';
import { decide, failureMessage, isPhase, type RuleState } from '../src/reservation-rules.ts';

const now = new Date('2026-01-01T12:00:00Z');
const later = new Date(now.getTime() + 60_000);
const earlier = new Date(now.getTime() - 60_000);
const lines = [
  { productId: 'p1', quantity: 2, unitPriceMinor: 100, currency: 'EUR', name: 'One' },
  { productId: 'p2', quantity: 1, unitPriceMinor: 50, currency: 'EUR', name: 'Two' },
];
const requested = lines.map(({ productId, quantity }) => ({ productId, quantity }));

function r(status: ReservationState['status'], changes: Partial<RuleState> = {}): RuleState {
  return { status, lines, expiresAt: later, leaseUntil: null, failure: null, shortItems: [], ...changes };
}

describe('reservation state machine', () => {
  describe('Reserve', () => {
    it('creates a new reservation and answers an existing one with the same items, in any order', () => {
      assert.deepEqual(decide('reserve', 'r1', null, now, { requested }), { kind: 'create' });
      assert.deepEqual(decide('reserve', 'r1', r('held'), now, { requested: [...requested].reverse() }), { kind: 'answer' });
      assert.deepEqual(decide('reserve', 'r1', r('committed'), now, { requested }), { kind: 'answer' });
    });

    it('refuses the same id with other items', () => {
      const d = decide('reserve', 'r1', r('held'), now, { requested: [{ productId: 'p1', quantity: 3 }] });
      assert.equal(d.kind === 'reject' && d.code, 'ALREADY_EXISTS');
    });

    it('answers a failed reservation with the same failure, naming the short items', () => {
      const failed = r('failed', { failure: 'out_of_stock', shortItems: [{ productId: 'p2', requested: 1, available: 0 }] });
      assert.deepEqual(decide('reserve', 'r1', failed, now, { requested }), {
        kind: 'reject',
        code: 'FAILED_PRECONDITION',
        message: 'insufficient stock: p2 (requested 1, available 0)',
      });
    });

    it('holds nothing when a Release came first', () => {
      const d = decide('reserve', 'r1', r('released', { lines: [] }), now, { requested });
      assert.equal(d.kind === 'reject' && d.code, 'FAILED_PRECONDITION');
    });

    it('waits for a live owner and resumes an abandoned Reserve itself', () => {
      assert.deepEqual(decide('reserve', 'r1', r('pending', { leaseUntil: later }), now, { requested }), { kind: 'wait' });
      assert.deepEqual(decide('reserve', 'r1', r('pending', { leaseUntil: earlier }), now, { requested }), {
        kind: 'claim',
        from: 'pending',
        to: 'pending',
      });
    });
  });

  describe('Commit', () => {
    it('commits a live hold once, and not an expired one', () => {
      assert.deepEqual(decide('commit', 'r1', r('held'), now), { kind: 'claim', from: 'held', to: 'committing' });
      assert.deepEqual(decide('commit', 'r1', r('held', { expiresAt: earlier }), now), {
        kind: 'claim',
        from: 'held',
        to: 'expiring',
      });
      assert.deepEqual(decide('commit', 'r1', r('committed'), now), { kind: 'answer' });
    });

    it('refuses unknown, released, expired and failed reservations', () => {
      assert.equal(decide('commit', 'r1', null, now).kind, 'reject');
      for (const status of ['released', 'expired', 'failed'] as const) {
        const d = decide('commit', 'r1', r(status), now);
        assert.equal(d.kind === 'reject' && d.code, 'FAILED_PRECONDITION', status);
      }
    });
  });

  describe('Release and order cancellation', () => {
    it('releases a hold, and answers released, expired and failed ones unchanged', () => {
      assert.deepEqual(decide('release', 'r1', r('held'), now), { kind: 'claim', from: 'held', to: 'releasing' });
      for (const status of ['released', 'expired', 'failed'] as const) {
        assert.deepEqual(decide('release', 'r1', r(status), now), { kind: 'answer' }, status);
      }
    });

    it('leaves a tombstone for an unknown id', () => {
      assert.deepEqual(decide('release', 'r1', null, now), { kind: 'create' });
      assert.deepEqual(decide('cancel', 'r1', null, now), { kind: 'create' });
    });

    it('refuses to release sold stock, but a cancelled order returns it', () => {
      const d = decide('release', 'r1', r('committed'), now);
      assert.equal(d.kind === 'reject' && d.code, 'FAILED_PRECONDITION');
      assert.deepEqual(decide('cancel', 'r1', r('committed'), now), { kind: 'claim', from: 'committed', to: 'returning' });
      assert.deepEqual(decide('cancel', 'r1', r('held'), now), { kind: 'claim', from: 'held', to: 'releasing' });
    });

    it('lets an abandoned Reserve be undone by anyone else', () => {
      assert.deepEqual(decide('release', 'r1', r('pending', { leaseUntil: earlier }), now), {
        kind: 'claim',
        from: 'pending',
        to: 'failing',
      });
    });
  });

  describe('sweeper', () => {
    it('expires holds past their time and leaves live ones alone', () => {
      assert.deepEqual(decide('sweep', 'r1', r('held', { expiresAt: earlier }), now), {
        kind: 'claim',
        from: 'held',
        to: 'expiring',
      });
      assert.deepEqual(decide('sweep', 'r1', r('held'), now), { kind: 'none' });
    });

    it('finishes abandoned moves in their direction', () => {
      for (const status of ['committing', 'releasing', 'expiring', 'returning', 'failing'] as const) {
        assert.ok(isPhase(status));
        assert.deepEqual(decide('sweep', 'r1', r(status, { leaseUntil: earlier }), now), {
          kind: 'claim',
          from: status,
          to: status,
        });
        assert.deepEqual(decide('sweep', 'r1', r(status, { leaseUntil: later }), now), { kind: 'none' });
      }
    });

    it("gives an abandoned Reserve's caller a grace period before undoing it", () => {
      const abandoned = r('pending', { leaseUntil: new Date(now.getTime() - 5000) });
      assert.deepEqual(decide('sweep', 'r1', abandoned, now, { pendingGraceMs: 10_000 }), { kind: 'none' });
      assert.deepEqual(decide('sweep', 'r1', abandoned, now, { pendingGraceMs: 1000 }), {
        kind: 'claim',
        from: 'pending',
        to: 'failing',
      });
    });
  });

  it('explains an interrupted reservation', () => {
    assert.match(failureMessage('r9', { failure: 'interrupted', shortItems: [] }), /r9 was interrupted/);
  });
});
