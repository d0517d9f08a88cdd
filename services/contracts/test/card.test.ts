import assert from 'node:assert/strict';
import { brandOf, expiredField, luhnValid } from '../src/card.ts';
import { chargeRequest } from '../src/payments.ts';
import { errorsOf as refused } from './fields.ts';

const nextYear = new Date().getUTCFullYear() + 1;
const validCard = { number: '4242424242424242', expMonth: 12, expYear: nextYear, cvc: '123' };
const validCharge = { orderId: 'order-1', amountMinor: 1999, currency: 'EUR', card: validCard };
const errorsOf = (input: unknown) => refused(chargeRequest, input);

describe('card rules', () => {
  it('accepts real-looking numbers by Luhn, and refuses a changed digit', () => {
    for (const number of ['4242424242424242', '4000000000000002', '4000000000009995']) assert.ok(luhnValid(number), number);
    assert.ok(luhnValid('5555555555554444'));
    assert.ok(luhnValid('378282246310005'));
    assert.equal(luhnValid('4242424242424241'), false);
    assert.equal(luhnValid('42424242x4242424'), false);
  });

  it('names the brand from the number', () => {
    assert.equal(brandOf('4242424242424242'), 'visa');
    assert.equal(brandOf('5555555555554444'), 'mastercard');
    assert.equal(brandOf('2223003122003222'), 'mastercard');
    assert.equal(brandOf('378282246310005'), 'amex');
    assert.equal(brandOf('6011111111111117'), 'discover');
    assert.equal(brandOf('9999999999999995'), 'unknown');
  });

  it('treats a card as valid through the last day of its expiry month', () => {
    const june = new Date('2030-06-30T23:59:59Z');
    assert.equal(expiredField(6, 2030, june), undefined);
    assert.equal(expiredField(5, 2030, june), 'expMonth');
    assert.equal(expiredField(12, 2029, june), 'expYear');
    assert.equal(expiredField(1, 2031, june), undefined);
  });
});

describe('charge request validation', () => {
  it('accepts a valid charge and strips spaces from the card number', () => {
    const parsed = chargeRequest.parse({ ...validCharge, card: { ...validCard, number: '4242 4242 4242 4242' } });
    assert.equal(parsed.card.number, '4242424242424242');
  });

  it('refuses a number failing Luhn, an expired card and a bad cvc with one field error each', () => {
    const errors = errorsOf({ ...validCharge, card: { ...validCard, number: '4242424242424241', cvc: '12' } });
    assert.deepEqual(errors.map((e) => e.field).sort(), ['card.cvc', 'card.number']);
    const lastYear = new Date().getUTCFullYear() - 1;
    assert.deepEqual(
      errorsOf({ ...validCharge, card: { ...validCard, expYear: lastYear } }).map((e) => [e.field, e.message]),
      [['card.expYear', 'the card has expired']],
    );
    assert.deepEqual(
      errorsOf({ ...validCharge, card: { ...validCard, cvc: '12345' } }).map((e) => e.field),
      ['card.cvc'],
    );
  });

  it('refuses non-positive, fractional and huge amounts, unknown currencies and unknown fields', () => {
    for (const amountMinor of [0, -5, 10.5, 100_000_000, '100']) {
      assert.deepEqual(
        errorsOf({ ...validCharge, amountMinor }).map((e) => e.field),
        ['amountMinor'],
        String(amountMinor),
      );
    }
    for (const currency of ['eur', 'EURO', 'XXY']) {
      assert.deepEqual(
        errorsOf({ ...validCharge, currency }).map((e) => e.field),
        ['currency'],
        currency,
      );
    }
    assert.deepEqual(
      errorsOf({ ...validCharge, amountMinor: { $gt: 0 }, status: 'succeeded' })
        .map((e) => e.field)
        .sort(),
      ['amountMinor', 'status'],
    );
  });

  it('never echoes the card number or cvc in its messages', () => {
    const errors = errorsOf({ ...validCharge, card: { ...validCard, number: '4242424242424241', cvc: '98' } });
    assert.doesNotMatch(JSON.stringify(errors), /4242424242424241|98/);
  });
});
