/**
 * How orders reads payments' answers: by the error codes of payments' contract, never by
 * a problem's type or words. The sidecar is a stand-in that throws the problem payments
 * would have answered (unit test: no server runs).
 */
import assert from 'node:assert/strict';
import { paymentsErrors } from '@meshmart/contracts/payments';
import { Problem, type Sidecar } from '@meshmart/kit';
import { PaymentsClient } from '../src/payments-client.ts';
import { TransientError } from '../src/saga-ports.ts';
import { CARD } from './support.ts';

function answering(problem: Problem): PaymentsClient {
  const sidecar = {
    invoke: async () => {
      throw problem;
    },
  } as unknown as Sidecar;
  return new PaymentsClient(sidecar, 1000);
}

const charge = { orderId: 'o-1', amountMinor: 500, currency: 'EUR', card: CARD };
const refund = { orderId: 'o-1', paymentId: 'p-1', amountMinor: 500 };

describe('payments client', () => {
  it('reads a decline by its code, and keeps the id of the failed charge', async () => {
    const declined = new Problem(402, 'payment-declined', 'Payment declined', {
      code: paymentsErrors.insufficientFunds,
      extensions: { paymentId: 'p-9' },
    });
    assert.deepEqual(await answering(declined).charge(charge), {
      kind: 'declined',
      failureClass: 'insufficient_funds',
      reason: 'insufficient funds',
      paymentId: 'p-9',
    });
  });

  it('retries a processor error and a key in flight, named by code', async () => {
    for (const code of [paymentsErrors.processorError, paymentsErrors.keyInFlight]) {
      const problem = new Problem(409, 'anything', 'Anything', { code });
      await assert.rejects(answering(problem).charge(charge), TransientError, code);
    }
  });

  it('takes a refund beyond the charge as nothing left to refund', async () => {
    const problem = new Problem(409, 'refund-exceeds-charge', 'Refund not possible', {
      code: paymentsErrors.refundExceedsCharge,
    });
    assert.equal(await answering(problem).refund(refund), 'nothing_left');
  });

  it('does not branch on a type or words without the code', async () => {
    const worded = new Problem(409, 'refund-exceeds-charge', 'Refund not possible', {
      detail: 'refund exceeds charge',
      code: 'conflict',
    });
    await assert.rejects(answering(worded).refund(refund), TransientError);
    const rejected = await answering(new Problem(402, 'payment-declined', 'Payment declined', { code: 'other' })).charge(charge);
    assert.equal(rejected.kind, 'rejected');
  });
});
