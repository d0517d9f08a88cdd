/** Calls through the gateway as a user would, for end-to-end tests. */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Problem } from '@meshmart/contracts/problem';

export type { Problem };

export class GatewayClient {
  /**
   * Each client looks like its own address to the gateway's rate limiter (the e2e stack
   * trusts one proxy hop), so tests do not share a budget.
   */
  constructor(
    readonly base: string,
    readonly forwardedFor = `fd00::${randomBytes(4)
      .toString('hex')
      .replace(/(....)(....)/, '$1:$2')}`,
  ) {}

  async call(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { 'x-forwarded-for': this.forwardedFor, ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const started = performance.now();
    const response = await fetch(this.base + path, { method, headers, body, signal: AbortSignal.timeout(20_000) });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      type,
      ms: performance.now() - started,
      json: <T = unknown>() => JSON.parse(text) as T,
      problem: () => {
        if (!type.startsWith('application/problem+json')) throw new Error(`expected problem+json, got ${type}: ${text}`);
        return JSON.parse(text) as Problem;
      },
      text,
    };
  }

  newEmail(): string {
    return `e2e-${randomUUID()}@meshmart.test`;
  }
}

export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads a text/event-stream response as events, the way a browser's EventSource does:
 * `event:` and `data:` lines up to a blank line; comment lines (heartbeats) are skipped.
 */
export async function* serverSentEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  if (!response.body) throw new Error('the response has no body to stream');
  const decoder = new TextDecoder();
  let buffered = '';
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      newline = buffered.indexOf('\n');
    }
  }
}

/**
 * What a checkout test needs before its first order: the admin signed in, a new buyer
 * signed in with a shipping address, and a fresh category of the admin's for the test's
 * products. Each step asserts its status, so a broken precondition names itself.
 */
export async function checkoutSetup(
  client: GatewayClient,
  admin: { email: string; password: string },
  label: string,
): Promise<{ adminToken: string; buyerToken: string; addressId: string; category: string }> {
  const adminLogin = await client.call('POST', '/api/auth/login', { body: admin });
  assert.equal(adminLogin.status, 200, adminLogin.text);
  const adminToken = adminLogin.json<{ accessToken: string }>().accessToken;
  const buyer = { email: client.newEmail(), password: `pw-${randomBytes(8).toString('hex')}` };
  const registered = await client.call('POST', '/api/auth/register', { body: { ...buyer, displayName: label } });
  assert.equal(registered.status, 201, registered.text);
  const login = await client.call('POST', '/api/auth/login', { body: buyer });
  assert.equal(login.status, 200, login.text);
  const buyerToken = login.json<{ accessToken: string }>().accessToken;
  const address = await client.call('POST', '/api/users/me/addresses', {
    token: buyerToken,
    body: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  });
  assert.equal(address.status, 201, address.text);
  const category = `${label.toLowerCase().replace(/[^a-z]+/g, '-')}-${randomBytes(4).toString('hex')}`;
  const created = await client.call('POST', '/api/categories', { token: adminToken, body: { id: category, name: label } });
  assert.equal(created.status, 201, created.text);
  return { adminToken, buyerToken, addressId: address.json<{ id: string }>().id, category };
}

/** The test processor approves this card; its expiry is years away. */
export const APPROVED_CARD = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };

/** A POST /api/orders body: `quantity` of one product to the buyer's address, paid with `card`. */
export function checkoutBody(productId: string, addressId: string, quantity = 1, card = APPROVED_CARD) {
  return { items: [{ productId, quantity }], shippingAddressId: addressId, card };
}

/** A new product in the admin's category with `stock` set at inventory; each step asserts its status. */
export async function stockedProduct(
  client: GatewayClient,
  adminToken: string,
  product: { name: string; category: string; priceMinor: number; stock: number },
): Promise<string> {
  const { stock, ...described } = product;
  const res = await client.call('POST', '/api/products', { token: adminToken, body: { ...described, currency: 'EUR' } });
  assert.equal(res.status, 201, res.text);
  const id = res.json<{ id: string }>().id;
  const stocked = await client.call('PUT', `/api/products/${id}/stock`, { token: adminToken, body: { stock } });
  assert.equal(stocked.status, 200, stocked.text);
  return id;
}
