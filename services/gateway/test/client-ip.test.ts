import assert from 'node:assert/strict';
import type { Context } from 'koa';
import { clientIp } from '../src/client-ip.ts';

function request(peer: string, forwardedFor?: string): Context {
  return {
    req: { socket: { remoteAddress: peer } },
    get: (name: string) => (name === 'x-forwarded-for' ? (forwardedFor ?? '') : ''),
  } as unknown as Context;
}

describe('client address for rate limiting', () => {
  it('uses the TCP peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    assert.equal(clientIp(request('198.51.100.4', '203.0.113.9'), 0), '198.51.100.4');
  });

  it('takes the entry our outermost trusted proxy appended, not what the client sent', () => {
    // The client forged 203.0.113.9; the ingress appended the address it saw.
    assert.equal(clientIp(request('10.0.0.5', '203.0.113.9, 198.51.100.4'), 1), '198.51.100.4');
    assert.equal(clientIp(request('10.0.0.5', '203.0.113.9, 198.51.100.4, 10.0.0.7'), 2), '198.51.100.4');
  });

  it('falls back to the peer when a trusted proxy added nothing', () => {
    assert.equal(clientIp(request('10.0.0.5'), 1), '10.0.0.5');
  });
});
