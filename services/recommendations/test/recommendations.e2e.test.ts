/**
 * recommendations in the local stack, through the gateway: real checkouts pay orders
 * (orders → inventory, payments), order.paid and stock events travel through RabbitMQ to
 * recommendations' sidecar, and the lists come back over gRPC through both sidecars.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { type StackHandle, startStack } from '@meshmart/stack';
import { eventually, GatewayClient, newAdmin } from '@meshmart/test-support';

const ADMIN = newAdmin();
const CARD = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };

interface Item {
  productId: string;
  source: string;
}

describe('recommendations through the gateway in the local stack', function () {
  this.timeout(300_000);
  let stack: StackHandle;
  let admin: GatewayClient;
  let adminToken: string;
  const category = `rec-${randomBytes(3).toString('hex')}`;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      services: ['gateway', 'users', 'catalog', 'inventory', 'orders', 'payments', 'recommendations'],
      env: {
        gateway: { RATE_LIMIT_API_MAX: '10000' },
        users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
      },
    });
    admin = new GatewayClient(stack.urls.gateway);
    const login = await admin.call('POST', '/api/auth/login', { body: ADMIN });
    assert.equal(login.status, 200, login.text);
    adminToken = login.json<{ accessToken: string }>().accessToken;
    const created = await admin.call('POST', '/api/categories', { token: adminToken, body: { id: category, name: 'Recs' } });
    assert.equal(created.status, 201, created.text);
  });

  after(async () => {
    await stack?.stop();
  });

  async function product(name: string, stock: number): Promise<string> {
    const res = await admin.call('POST', '/api/products', {
      token: adminToken,
      body: { name: `${name} ${randomBytes(3).toString('hex')}`, category, priceMinor: 500, currency: 'EUR' },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.json<{ id: string }>().id;
    await setStock(id, stock);
    return id;
  }

  async function setStock(id: string, stock: number): Promise<void> {
    const res = await admin.call('PUT', `/api/products/${id}/stock`, { token: adminToken, body: { stock } });
    assert.equal(res.status, 200, res.text);
  }

  async function buyer() {
    const client = new GatewayClient(stack.urls.gateway);
    const email = client.newEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    assert.equal((await client.call('POST', '/api/auth/register', { body: { email, password, displayName: 'B' } })).status, 201);
    const token = (await client.call('POST', '/api/auth/login', { body: { email, password } })).json<{ accessToken: string }>()
      .accessToken;
    const address = await client.call('POST', '/api/users/me/addresses', {
      token,
      body: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    });
    assert.equal(address.status, 201, address.text);
    return { client, token, addressId: address.json<{ id: string }>().id };
  }

  async function pay(who: Awaited<ReturnType<typeof buyer>>, productIds: string[]): Promise<void> {
    const res = await who.client.call('POST', '/api/orders', {
      token: who.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { items: productIds.map((productId) => ({ productId, quantity: 1 })), shippingAddressId: who.addressId, card: CARD },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json<{ status: string }>().status, 'paid', res.text);
  }

  const listFor = async (productId: string): Promise<Item[]> => {
    const res = await admin.call('GET', `/api/products/${productId}/recommendations`);
    assert.equal(res.status, 200, res.text);
    return res.json<{ items: Item[] }>().items;
  };

  it('after 30 paid orders of A with B, starts A with B; a new product gets the category best-sellers; B out of stock leaves', async () => {
    const [a, b, c] = [await product('A', 1000), await product('B', 1000), await product('C', 1000)];
    const shopper = await buyer();
    for (let i = 0; i < 30; i++) await pay(shopper, [a, b]);
    // C sells on its own as often, so it is a best-seller too, but never bought with A.
    for (let i = 0; i < 30; i++) await pay(shopper, [c]);

    const first = await eventually('B to lead A’s list', async () => {
      const list = await listFor(a);
      return list[0]?.productId === b ? list : undefined;
    });
    assert.equal(first[0]?.source, 'bought_together');
    assert.ok(!first.some((r) => r.productId === a), 'never the product itself');

    const fresh = await product('New', 10);
    // Until its product.created arrives, recommendations does not know the new product's category.
    const forNew = await eventually('the new product’s category best-sellers', async () => {
      const list = await listFor(fresh);
      return list.slice(0, 3).filter((r) => r.source === 'category_best_seller').length === 3 ? list : undefined;
    });
    assert.deepEqual(
      forNew
        .slice(0, 3)
        .map((r) => r.productId)
        .sort(),
      [a, b, c].sort(),
    );
    assert.ok(!forNew.some((r) => r.productId === fresh), 'never the product itself');

    await setStock(b, 0);
    const after = await eventually('B to leave A’s list', async () => {
      const list = await listFor(a);
      return list.some((r) => r.productId === b) ? undefined : list;
    });
    assert.ok(!after.some((r) => r.productId === b));

    // For the shopper: everything in the category was bought, so nothing of it is offered back.
    const mine = await shopper.client.call('GET', '/api/recommendations', { token: shopper.token });
    assert.equal(mine.status, 200, mine.text);
    const offered = mine.json<{ items: Item[] }>().items.map((r) => r.productId);
    for (const bought of [a, b, c]) assert.ok(!offered.includes(bought), 'not what the user bought');
    const anonymous = await admin.call('GET', '/api/recommendations');
    assert.equal(anonymous.status, 401);
  });

  it('answers a bad limit with 400', async () => {
    const res = await admin.call('GET', `/api/products/${randomUUID()}/recommendations?limit=99`);
    assert.equal(res.status, 400, res.text);
  });
});
