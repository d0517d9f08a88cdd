import assert from 'node:assert/strict';
import { VerifiedTokens } from '../src/verified-tokens.ts';

const inSeconds = (s: number) => Date.now() / 1000 + s;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('VerifiedTokens', () => {
  it('answers for a remembered token and not for another', () => {
    const tokens = new VerifiedTokens<string>(60_000);
    tokens.remember('a', 'ada', inSeconds(60));
    assert.equal(tokens.get('a'), 'ada');
    assert.equal(tokens.get('b'), undefined);
  });

  it('forgets a token once it expires, though the age allows more', async () => {
    const tokens = new VerifiedTokens<string>(60_000);
    tokens.remember('a', 'ada', inSeconds(0.05));
    assert.equal(tokens.get('a'), 'ada');
    await sleep(70);
    assert.equal(tokens.get('a'), undefined);
  });

  it('forgets a token after the age of its keys, though it has not expired', async () => {
    const tokens = new VerifiedTokens<string>(50);
    tokens.remember('a', 'ada', inSeconds(60));
    await sleep(70);
    assert.equal(tokens.get('a'), undefined);
  });

  it('never remembers a token that has already expired', () => {
    const tokens = new VerifiedTokens<string>(60_000);
    tokens.remember('a', 'ada', inSeconds(-1));
    assert.equal(tokens.get('a'), undefined);
  });

  it('lets the oldest go when full', () => {
    const tokens = new VerifiedTokens<string>(60_000, 2);
    tokens.remember('a', 'ada', inSeconds(60));
    tokens.remember('b', 'bob', inSeconds(60));
    tokens.remember('c', 'cy', inSeconds(60));
    assert.deepEqual(
      ['a', 'b', 'c'].map((t) => tokens.get(t)),
      [undefined, 'bob', 'cy'],
    );
  });
});
