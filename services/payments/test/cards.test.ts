import assert from 'node:assert/strict';
import { luhnValid } from '@meshmart/contracts/card';
import { outcomeFor, testCards } from '../src/cards.ts';
import { Processor } from '../src/processor.ts';

describe('test cards', () => {
  it('are all valid card numbers', () => {
    for (const number of Object.keys(testCards)) assert.ok(luhnValid(number), number);
  });

  it('maps the contract test cards to their outcomes; other numbers approve', () => {
    assert.equal(outcomeFor('4242424242424242'), 'approve');
    assert.equal(outcomeFor('4000000000000002'), 'decline');
    assert.equal(outcomeFor('4000000000009995'), 'insufficient_funds');
    assert.equal(outcomeFor('4000000000000119'), 'processor_error');
    assert.equal(outcomeFor('4000000000000077'), 'slow_approve');
    assert.equal(outcomeFor('5555555555554444'), 'approve');
  });

  it('lets the processor answer by card, the slow card after its delay', async () => {
    const processor = new Processor(120);
    assert.equal(await processor.authorize('4000000000000002'), 'card_declined');
    assert.equal(await processor.authorize('4000000000009995'), 'insufficient_funds');
    assert.equal(await processor.authorize('4000000000000119'), 'processor_error');
    const started = performance.now();
    assert.equal(await processor.authorize('4000000000000077'), 'approved');
    assert.ok(performance.now() - started >= 110);
  });
});
