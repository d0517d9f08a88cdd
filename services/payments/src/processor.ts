/** The simulated card network: answers by test card, like a processor's sandbox. */
import { outcomeFor } from './cards.ts';

export type Decision = 'approved' | 'card_declined' | 'insufficient_funds' | 'processor_error';

export class Processor {
  constructor(private readonly slowDelayMs: number) {}

  async authorize(cardNumber: string): Promise<Decision> {
    switch (outcomeFor(cardNumber)) {
      case 'approve':
        return 'approved';
      case 'slow_approve':
        await new Promise((resolve) => setTimeout(resolve, this.slowDelayMs));
        return 'approved';
      case 'decline':
        return 'card_declined';
      case 'insufficient_funds':
        return 'insufficient_funds';
      case 'processor_error':
        return 'processor_error';
    }
  }
}
