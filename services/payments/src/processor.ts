/**
 * The simulated card network: answers by test card, like a processor's sandbox. The
 * fault flags `payments.latency-ms` and `payments.failure-rate` make it slow or failing
 * for every card, as a real processor's bad day would.
 */
import type { FaultFlags } from '@meshmart/kit';
import { outcomeFor } from './cards.ts';

export type Decision = 'approved' | 'card_declined' | 'insufficient_funds' | 'processor_error';

export class Processor {
  constructor(
    private readonly slowDelayMs: number,
    private readonly faults?: Pick<FaultFlags, 'delay' | 'fails'>,
  ) {}

  async authorize(cardNumber: string): Promise<Decision> {
    await this.faults?.delay('payments.latency-ms');
    if (this.faults?.fails('payments.failure-rate')) return 'processor_error';
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
