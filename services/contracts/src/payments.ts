/**
 * payments' REST API (reached by orders through Dapr service invocation): charges and
 * refunds, each under an Idempotency-Key.
 */
import { z } from 'zod';
import { card } from './card.ts';
import { idempotencyErrors } from './problem.ts';

/** The processor's per-charge ceiling; also keeps sums far inside PostgreSQL's bigint and JS's safe integers. */
export const MAX_AMOUNT_MINOR = 99_999_999;

const currencies = new Set(Intl.supportedValuesOf('currency'));

export const currency = z.string().refine((c) => currencies.has(c), 'must be an ISO 4217 currency code, e.g. EUR');
export const amountMinor = z
  .number()
  .int('must be an integer amount in minor units')
  .positive()
  .max(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR}`);

/** POST /charges */
export const chargeRequest = z.strictObject({
  orderId: z.string().min(1).max(128),
  amountMinor,
  currency,
  card,
});
export type ChargeRequest = z.infer<typeof chargeRequest>;

/** POST /charges/:id/refunds */
export const refundRequest = z.strictObject({ amountMinor });

export const chargeIdParam = z.uuid();

export const charge = z.object({
  id: z.uuid(),
  orderId: z.string(),
  status: z.enum(['succeeded', 'failed']),
  failureCode: z.string().optional(),
  amountMinor: z.number().int(),
  currency: z.string(),
  refundedMinor: z.number().int(),
  cardBrand: z.string(),
  cardLast4: z.string(),
  createdAt: z.iso.datetime(),
});
export type Charge = z.infer<typeof charge>;

export const refund = z.object({
  id: z.uuid(),
  chargeId: z.uuid(),
  orderId: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
  createdAt: z.iso.datetime(),
});
export type Refund = z.infer<typeof refund>;

export const paymentsErrors = {
  ...idempotencyErrors,
  /** 503: the processor failed; the same key may be sent again. */
  processorError: 'processor_error',
  /** 402, with `paymentId`: the charge was recorded as failed. */
  cardDeclined: 'card_declined',
  /** 402, with `paymentId`. */
  insufficientFunds: 'insufficient_funds',
  /** 409, with `refundableMinor`: more than is left to refund, or the charge did not succeed. */
  refundExceedsCharge: 'refund_exceeds_charge',
} as const;
