/**
 * Card rules of the simulated processor: number checks, brand, expiry and the
 * deterministic test cards of docs/CONTRACTS.md. Pure functions, no I/O.
 */

export type Brand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';

export type CardOutcome = 'approve' | 'decline' | 'insufficient_funds' | 'processor_error' | 'slow_approve';

/** Any other valid card number approves, as with real processors' test modes. */
export const testCards: Readonly<Record<string, CardOutcome>> = {
  '4242424242424242': 'approve',
  '4000000000000002': 'decline',
  '4000000000009995': 'insufficient_funds',
  '4000000000000119': 'processor_error',
  '4000000000000077': 'slow_approve',
};

export function outcomeFor(number: string): CardOutcome {
  return testCards[number] ?? 'approve';
}

export function luhnValid(number: string): boolean {
  if (!/^\d+$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function brandOf(number: string): Brand {
  if (/^4/.test(number)) return 'visa';
  if (/^3[47]/.test(number)) return 'amex';
  const first4 = Number(number.slice(0, 4));
  if (/^5[1-5]/.test(number) || (first4 >= 2221 && first4 <= 2720)) return 'mastercard';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  return 'unknown';
}

/**
 * Which expiry field makes the card expired, if any. A card is valid through the last
 * day of its expiry month (UTC).
 */
export function expiredField(expMonth: number, expYear: number, now: Date): 'expYear' | 'expMonth' | undefined {
  const year = now.getUTCFullYear();
  if (expYear < year) return 'expYear';
  if (expYear === year && expMonth < now.getUTCMonth() + 1) return 'expMonth';
  return undefined;
}
