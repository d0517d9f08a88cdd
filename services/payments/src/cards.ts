/**
 * The deterministic test cards of the simulated processor (docs/CONTRACTS.md). The card
 * check itself is in contracts (`@meshmart/contracts/card`).
 */

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
