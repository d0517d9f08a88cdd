/**
 * Charges and refunds: the rules, the SQL and the events, independent of HTTP. Every
 * final answer is stored under its idempotency key in the transaction that writes the
 * charge or refund and its event, so a repeat gets exactly the first answer.
 */
import { randomUUID } from 'node:crypto';
import { brandOf } from '@meshmart/contracts/card';
import { chargeFingerprint, fingerprint } from '@meshmart/contracts/fingerprint';
import { type Charge, type ChargeRequest, paymentsErrors, type Refund } from '@meshmart/contracts/payments';
import { counter, enqueueEvent, type FaultFlags, inTransaction, Problem, problems } from '@meshmart/kit';
import type pg from 'pg';
import { type Claim, type IdempotencyKeys, LostClaim, type StoredResponse } from './idempotency.ts';
import type { Decision, Processor } from './processor.ts';

const chargesTotal = counter('payments_charges_total', 'Charges processed, by outcome', ['outcome']);
const amountTotal = counter('payments_amount_minor_total', 'Amount charged successfully, in minor units', ['currency']);
const refundsTotal = counter('payments_refunds_total', 'Refunds made');

export interface Reply extends StoredResponse {
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

interface ChargeRow {
  id: string;
  order_id: string;
  status: 'succeeded' | 'failed';
  failure_code: string | null;
  amount_minor: string;
  currency: string;
  refunded_minor: string;
  card_brand: string;
  card_last4: string;
  created_at: Date;
}

const toCharge = (r: ChargeRow): Charge => ({
  id: r.id,
  orderId: r.order_id,
  status: r.status,
  ...(r.failure_code !== null && { failureCode: r.failure_code }),
  amountMinor: Number(r.amount_minor),
  currency: r.currency,
  refundedMinor: Number(r.refunded_minor),
  cardBrand: r.card_brand,
  cardLast4: r.card_last4,
  createdAt: r.created_at.toISOString(),
});

const DECLINE_DETAIL: Record<string, string> = {
  card_declined: 'the card was declined',
  insufficient_funds: 'the card has insufficient funds',
};

export class Payments {
  constructor(
    private readonly pool: pg.Pool,
    private readonly keys: IdempotencyKeys,
    private readonly processor: Processor,
    private readonly faults?: Pick<FaultFlags, 'delay'>,
  ) {}

  async get(id: string): Promise<Charge | undefined> {
    const { rows } = await this.pool.query<ChargeRow>('SELECT * FROM charges WHERE id = $1', [id]);
    return rows[0] && toCharge(rows[0]);
  }

  /** `instance` is the request path, part of stored problem bodies so repeats match byte for byte. */
  charge(key: string, input: ChargeRequest, instance: string): Promise<Reply> {
    return this.answerOnce('charge', key, chargeFingerprint(input), async (claim) => {
      const decision = await this.holding(claim, () => this.processor.authorize(input.card.number));
      if (decision === 'processor_error') {
        await this.keys.release(claim);
        chargesTotal.inc({ outcome: decision });
        throw new Problem(503, 'processor-error', 'Payment processor unavailable', {
          detail: 'the card processor failed; retry with the same Idempotency-Key',
          headers: { 'retry-after': '1' },
          code: paymentsErrors.processorError,
        });
      }
      const reply = await this.holding(claim, () =>
        inTransaction(this.pool, (client) => this.recordCharge(client, claim, input, decision, instance)),
      );
      chargesTotal.inc({ outcome: decision === 'approved' ? 'succeeded' : decision });
      if (decision === 'approved') amountTotal.inc({ currency: input.currency }, input.amountMinor);
      return reply;
    });
  }

  private async recordCharge(
    client: pg.PoolClient,
    claim: Claim,
    input: ChargeRequest,
    decision: Exclude<Decision, 'processor_error'>,
    instance: string,
  ): Promise<StoredResponse> {
    const failureCode = decision === 'approved' ? null : decision;
    const { number } = input.card;
    const { rows } = await client.query<ChargeRow>(
      `INSERT INTO charges (id, order_id, status, failure_code, amount_minor, currency, card_brand, card_last4)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        randomUUID(),
        input.orderId,
        failureCode ? 'failed' : 'succeeded',
        failureCode,
        input.amountMinor,
        input.currency,
        brandOf(number),
        number.slice(-4),
      ],
    );
    const charge = toCharge(rows[0] as ChargeRow);
    const event = { paymentId: charge.id, orderId: charge.orderId, amountMinor: charge.amountMinor, currency: charge.currency };
    let response: StoredResponse;
    if (failureCode) {
      await enqueueEvent(client, 'payment.failed', { ...event, reason: failureCode, at: charge.createdAt });
      const problem = new Problem(402, 'payment-declined', 'Payment declined', {
        detail: DECLINE_DETAIL[failureCode] ?? failureCode,
        code: failureCode,
        extensions: { paymentId: charge.id },
      });
      response = { status: 402, body: problem.toBody(instance) };
    } else {
      await enqueueEvent(client, 'payment.succeeded', { ...event, at: charge.createdAt });
      response = { status: 201, body: charge };
    }
    await this.keys.complete(client, claim, response);
    return response;
  }

  async refund(chargeId: string, key: string, amountMinor: number, instance: string): Promise<Reply> {
    if (!(await this.get(chargeId))) throw problems.notFound(`no charge ${chargeId}`);
    return this.answerOnce('refund', key, fingerprint({ chargeId, amountMinor }), async (claim) => {
      const reply = await this.holding(claim, () =>
        inTransaction(this.pool, (client) => this.recordRefund(client, claim, chargeId, amountMinor, instance)),
      );
      if (reply.status === 201) refundsTotal.inc();
      return reply;
    });
  }

  private async recordRefund(
    client: pg.PoolClient,
    claim: Claim,
    chargeId: string,
    amountMinor: number,
    instance: string,
  ): Promise<StoredResponse> {
    // One conditional update: concurrent refunds queue on the row and each sees the
    // amount the previous one left, so together they can never exceed the charge.
    const { rows } = await client.query<ChargeRow>(
      `UPDATE charges SET refunded_minor = refunded_minor + $2
        WHERE id = $1 AND status = 'succeeded' AND refunded_minor + $2 <= amount_minor
        RETURNING *`,
      [chargeId, amountMinor],
    );
    let response: StoredResponse;
    const updated = rows[0];
    if (!updated) {
      const { rows: current } = await client.query<ChargeRow>('SELECT * FROM charges WHERE id = $1', [chargeId]);
      const charge = toCharge(current[0] as ChargeRow);
      const left = charge.amountMinor - charge.refundedMinor;
      const problem = new Problem(409, 'refund-exceeds-charge', 'Refund not possible', {
        detail:
          charge.status === 'succeeded'
            ? `${amountMinor} exceeds the ${left} left to refund on this charge`
            : 'the charge did not succeed; there is nothing to refund',
        code: paymentsErrors.refundExceedsCharge,
        extensions: { refundableMinor: charge.status === 'succeeded' ? left : 0 },
      });
      response = { status: 409, body: problem.toBody(instance) };
    } else {
      const charge = toCharge(updated);
      const { rows: inserted } = await client.query<{ id: string; created_at: Date }>(
        'INSERT INTO refunds (id, charge_id, amount_minor) VALUES ($1, $2, $3) RETURNING id, created_at',
        [randomUUID(), chargeId, amountMinor],
      );
      const row = inserted[0] as { id: string; created_at: Date };
      const refund: Refund = {
        id: row.id,
        chargeId,
        orderId: charge.orderId,
        amountMinor,
        currency: charge.currency,
        createdAt: row.created_at.toISOString(),
      };
      await enqueueEvent(client, 'payment.refunded', {
        paymentId: chargeId,
        refundId: refund.id,
        orderId: refund.orderId,
        amountMinor,
        currency: refund.currency,
        at: refund.createdAt,
      });
      response = { status: 201, body: refund };
    }
    await this.keys.complete(client, claim, response);
    return response;
  }

  /**
   * One answer per key: a repeat gets the stored answer, and the owner of a fresh claim
   * computes it with `answer`, which stores it with the charge or refund.
   */
  private async answerOnce(
    scope: 'charge' | 'refund',
    key: string,
    print: string,
    answer: (claim: Claim) => Promise<StoredResponse>,
  ): Promise<Reply> {
    for (;;) {
      const claimed = await this.keys.claim(scope, key, print);
      if (claimed.kind === 'done') return { ...claimed.response, replayed: true };
      try {
        const reply = await answer(claimed.claim);
        // The answer is committed; a crash of the caller from here on leaves it unrecorded there.
        await this.faults?.delay('payments.answer-delay-ms');
        return { ...reply, replayed: false };
      } catch (err) {
        // Another request took the key over; its answer is the one to give.
        if (err instanceof LostClaim) continue;
        throw err;
      }
    }
  }

  /**
   * Runs work for the owner of a claim; if it fails, the key is given up at once so a
   * repeat need not wait for the lease to run out.
   */
  private async holding<T>(claim: Claim, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof LostClaim)) await this.keys.release(claim).catch(() => {});
      throw err;
    }
  }
}
