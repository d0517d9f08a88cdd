/**
 * payments over Dapr service invocation, as the saga's Payments. Idempotency keys derive
 * from the order id and the step, so a retried or resumed step can never charge or refund
 * twice: payments answers a repeated key with the first answer.
 */
import { paymentsErrors } from '@meshmart/contracts/payments';
import { Problem, type Sidecar } from '@meshmart/kit';
import { type ChargeOutcome, type ChargeRequest, type Payments, type RefundRequest, TransientError } from './saga-ports.ts';

const PAYMENTS = 'payments';

const chargeKey = (orderId: string) => `${orderId}:charge`;
const refundKey = (orderId: string) => `${orderId}:refund`;

/** Answers that say nothing definite about the money: the same key may be sent again. */
function transientProblem(problem: Problem): TransientError | undefined {
  if (problem.code === paymentsErrors.processorError) {
    return new TransientError('payment processor error', 'payment_error', { cause: problem });
  }
  if (problem.code === paymentsErrors.keyInFlight) {
    return new TransientError('payment service unavailable', 'payment_error', { cause: problem, contended: true });
  }
  if (problem.status >= 500 || problem.status === 429) {
    return new TransientError('payment service unavailable', 'payment_error', { cause: problem });
  }
  return undefined;
}

export class PaymentsClient implements Payments {
  constructor(
    private readonly sidecar: Sidecar,
    private readonly timeoutMs: number,
  ) {}

  async charge({ orderId, amountMinor, currency, card }: ChargeRequest): Promise<ChargeOutcome> {
    try {
      const { body } = await this.sidecar.invoke(PAYMENTS, '/charges', {
        method: 'POST',
        body: { orderId, amountMinor, currency, card },
        headers: { 'idempotency-key': chargeKey(orderId) },
        timeoutMs: this.timeoutMs,
      });
      const id = (body as { id?: unknown }).id;
      if (typeof id !== 'string') throw new TransientError('payments answered without a charge id', 'payment_error');
      return { kind: 'succeeded', paymentId: id };
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      if (err.code === paymentsErrors.cardDeclined || err.code === paymentsErrors.insufficientFunds) {
        const insufficient = err.code === paymentsErrors.insufficientFunds;
        const paymentId = err.extensions.paymentId;
        return {
          kind: 'declined',
          failureClass: insufficient ? 'insufficient_funds' : 'card_declined',
          reason: insufficient ? 'insufficient funds' : 'card declined',
          ...(typeof paymentId === 'string' && { paymentId }),
        };
      }
      const transient = transientProblem(err);
      if (transient) throw transient;
      return { kind: 'rejected', reason: err.detail ?? err.title };
    }
  }

  async refund({ orderId, paymentId, amountMinor }: RefundRequest): Promise<'refunded' | 'nothing_left'> {
    try {
      await this.sidecar.invoke(PAYMENTS, `/charges/${encodeURIComponent(paymentId)}/refunds`, {
        method: 'POST',
        body: { amountMinor },
        headers: { 'idempotency-key': refundKey(orderId) },
        timeoutMs: this.timeoutMs,
      });
      return 'refunded';
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      if (err.code === paymentsErrors.refundExceedsCharge) return 'nothing_left';
      const transient = transientProblem(err);
      if (transient) throw transient;
      // A refund payments refuses outright needs a person; until then the saga keeps the
      // order and tries again with growing pauses.
      throw new TransientError(`payments refused the refund: ${err.detail ?? err.title}`, 'payment_error', { cause: err });
    }
  }
}
