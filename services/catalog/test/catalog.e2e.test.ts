/**
 * catalog in the local stack: real daprd sidecars, FerretDB and RabbitMQ. REST goes
 * through the gateway's sidecar, as the gateway and orders call catalog; product events
 * leave through catalog's sidecar, and inventory's stock events come back over RabbitMQ.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Product } from '@meshmart/contracts/catalog';
import { infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import { eventually, newAdmin } from '@meshmart/test-support';
import mongoose from 'mongoose';
import { type CatalogModels, catalogModels, type ProductDoc } from '../src/models.ts';

const ADMIN = newAdmin();

describe('catalog in the local stack', function () {
  this.timeout(120_000);
  let stack: StackHandle;
  let connection: mongoose.Connection;
  let models: CatalogModels;
  let adminToken: string;
  let customerToken: string;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      services: ['gateway', 'users', 'catalog', 'inventory'],
      env: { users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } },
    });
    connection = await mongoose.createConnection(infraUrls.mongo('catalog')).asPromise();
    models = catalogModels(connection);
    adminToken = await login(ADMIN.email, ADMIN.password);
    const email = `e2e-${randomUUID()}@meshmart.test`;
    const registered = await fetch(`${stack.urls.gateway}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a customer password', displayName: 'Customer' }),
    });
    assert.equal(registered.status, 201);
    customerToken = await login(email, 'a customer password');
  });

  after(async () => {
    await connection?.close();
    await stack?.stop();
  });

  async function login(email: string, password: string): Promise<string> {
    const res = await fetch(`${stack.urls.gateway}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { accessToken: string }).accessToken;
  }

  /** A call to catalog (or another app) through the gateway's sidecar. */
  const viaSidecar = (
    path: string,
    init: { method?: string; body?: unknown; token?: string; traceparent?: string; app?: string } = {},
  ) =>
    fetch(`${stack.urls.services.gateway?.dapr}/v1.0/invoke/${init.app ?? 'catalog'}/method${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'dapr-api-token': stack.tokens.daprApiToken,
        ...(init.traceparent && { traceparent: init.traceparent }),
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...(init.token && { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  async function createProduct(): Promise<Product> {
    const res = await viaSidecar('/products', {
      method: 'POST',
      token: adminToken,
      body: { name: `E2E ${randomUUID().slice(0, 8)}`, category: 'coffee', priceMinor: 990, currency: 'EUR' },
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Product;
  }

  const shown = async (id: string) => (await (await viaSidecar(`/products/${id}`)).json()) as Product;

  it('lists the demo catalog through the sidecar', async () => {
    const res = await viaSidecar('/products?category=coffee&limit=50');
    assert.equal(res.status, 200);
    const { items } = (await res.json()) as { items: Product[] };
    assert.ok(items.some((p) => p.id === 'demo-house-espresso' && p.currency === 'EUR'));
    const bad = await viaSidecar(`/products?minPrice=${encodeURIComponent('{"$gt":""}')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('refuses a customer write with 403, verifying the token against users through its own sidecar', async () => {
    const res = await viaSidecar('/products/demo-house-espresso', {
      method: 'PUT',
      token: customerToken,
      body: { name: 'Mine', category: 'coffee', priceMinor: 1, currency: 'EUR' },
    });
    assert.equal(res.status, 403);
  });

  it('publishes product.updated for an admin update and clears it from the document once the broker has it', async () => {
    const product = await createProduct();
    const updated = await viaSidecar(`/products/${product.id}`, {
      method: 'PUT',
      token: adminToken,
      body: { name: `${product.name} v2`, category: 'coffee', priceMinor: 1090, currency: 'EUR' },
    });
    assert.equal(updated.status, 200);
    const doc = await eventually('the relay to publish', async () => {
      const found = await models.products.findById(product.id).lean<ProductDoc>();
      return found && !found.eventsPending && found.pendingEvents.length === 0 ? found : undefined;
    });
    assert.equal(doc.revision, 2);
    const metrics = await (await fetch(`${stack.urls.services.catalog?.probe}/metrics`)).text();
    assert.match(metrics, /events_published_total\{[^}]*topic="product\.updated"[^}]*\} [1-9]/);
  });

  it('shows the stock inventory announces: set by an admin at inventory, kept on the product over RabbitMQ', async () => {
    const product = await createProduct();
    assert.deepEqual([product.stock, product.inStock], [0, false]);
    const set = await viaSidecar(`/stock/${product.id}`, {
      app: 'inventory',
      method: 'PUT',
      token: adminToken,
      body: { stock: 5 },
    });
    assert.equal(set.status, 200, await set.clone().text());
    const seen = await eventually('catalog to show the new stock', async () => {
      const p = await shown(product.id);
      return p.stock === 5 ? p : undefined;
    });
    assert.equal(seen.inStock, true);
    const inStock = (await (await viaSidecar('/products?inStock=true&category=coffee&limit=100')).json()) as {
      items: Product[];
    };
    assert.ok(inStock.items.some((p) => p.id === product.id));
  });
});
