/**
 * catalog in the local stack: real daprd sidecars, FerretDB and RabbitMQ. REST and gRPC
 * go through the gateway's sidecar, as the gateway and orders will call catalog; events
 * leave through catalog's sidecar and come back over RabbitMQ.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type EventEnvelope, sidecarGrpcClient, unary } from '@meshmart/kit';
import { InventoryServiceClient, ReservationStatus } from '@meshmart/proto/catalog/v1/inventory';
import { eventually, infraUrls, type StackHandle, startStack } from '@meshmart/stack';
import mongoose from 'mongoose';
import { type CatalogModels, catalogModels } from '../src/models.ts';
import type { ProductView } from '../src/views.ts';

const ADMIN = { email: `admin-${randomBytes(4).toString('hex')}@meshmart.test`, password: randomBytes(12).toString('hex') };

describe('catalog in the local stack', function () {
  this.timeout(120_000);
  let stack: StackHandle;
  let connection: mongoose.Connection;
  let models: CatalogModels;
  let inventory: InventoryServiceClient;
  let adminToken: string;
  let customerToken: string;

  before(async function () {
    this.timeout(300_000);
    stack = await startStack({
      quiet: true,
      services: ['gateway', 'users', 'catalog'],
      env: { users: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } },
    });
    connection = await mongoose.createConnection(infraUrls.mongo('catalog')).asPromise();
    models = catalogModels(connection);
    inventory = sidecarGrpcClient(InventoryServiceClient, 'catalog', {
      daprGrpcPort: stack.ports.services.gateway?.daprGrpc ?? 0,
      daprApiToken: stack.tokens.daprApiToken,
    });
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
    inventory?.close();
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

  /** A call to catalog through the gateway's sidecar. */
  const viaSidecar = (path: string, init: { method?: string; body?: unknown; token?: string; traceparent?: string } = {}) =>
    fetch(`${stack.urls.services.gateway?.dapr}/v1.0/invoke/catalog/method${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'dapr-api-token': stack.tokens.daprApiToken,
        ...(init.traceparent && { traceparent: init.traceparent }),
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...(init.token && { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  async function createProduct(stock: number): Promise<ProductView> {
    const res = await viaSidecar('/products', {
      method: 'POST',
      token: adminToken,
      body: { name: `E2E ${randomUUID().slice(0, 8)}`, category: 'coffee', priceMinor: 990, currency: 'EUR', stock },
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as ProductView;
  }

  const stockOf = async (id: string) => ((await (await viaSidecar(`/products/${id}`)).json()) as ProductView).stock;

  it('lists the demo catalog through the sidecar', async () => {
    const res = await viaSidecar('/products?category=coffee&limit=50');
    assert.equal(res.status, 200);
    const { items } = (await res.json()) as { items: ProductView[] };
    assert.ok(items.some((p) => p.id === 'demo-house-espresso' && p.currency === 'EUR'));
    const bad = await viaSidecar(`/products?minPrice=${encodeURIComponent('{"$gt":""}')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('refuses a customer write with 403, verifying the token against users through its own sidecar', async () => {
    const res = await viaSidecar('/products/demo-house-espresso/stock', {
      method: 'PUT',
      token: customerToken,
      body: { stock: 0 },
    });
    assert.equal(res.status, 403);
  });

  it('publishes product.updated for an admin update, in its trace, and marks it published once the broker has it', async () => {
    const product = await createProduct(8);
    const traceId = randomBytes(16).toString('hex');
    const updated = await viaSidecar(`/products/${product.id}`, {
      method: 'PUT',
      token: adminToken,
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      body: { name: `${product.name} v2`, category: 'coffee', priceMinor: 1090, currency: 'EUR' },
    });
    assert.equal(updated.status, 200);
    const revisions = await eventually('the relay to publish', async () => {
      const found = await models.productRevisions.find({ key: product.id }).lean();
      return found.length >= 2 && found.every((r) => !r.eventsPending) ? found : undefined;
    });
    const events = revisions.flatMap((r) => r.events as Array<{ envelope: EventEnvelope; traceparent?: string }>);
    assert.deepEqual(events.map((e) => e.envelope.topic).sort(), ['product.created', 'product.updated']);
    const update = events.find((e) => e.envelope.topic === 'product.updated');
    assert.equal(update?.traceparent?.split('-')[1], traceId, 'the event continues the trace of the update');
    const metrics = await (await fetch(`${stack.urls.services.catalog?.probe}/metrics`)).text();
    assert.match(metrics, /events_published_total\{[^}]*topic="product\.updated"[^}]*\} [1-9]/);
  });

  it('serves the inventory API over gRPC through the gateway sidecar', async () => {
    const product = await createProduct(3);
    const { levels } = await unary(inventory.checkStock.bind(inventory), { productIds: [product.id] });
    assert.deepEqual(levels, [{ productId: product.id, available: 3 }]);
    const id = randomUUID();
    const items = [{ productId: product.id, quantity: 2 }];
    const { reservation } = await unary(inventory.reserve.bind(inventory), { reservationId: id, items, ttlSeconds: 0 });
    assert.equal(reservation?.status, ReservationStatus.RESERVATION_STATUS_HELD);
    assert.equal(reservation?.lines[0]?.unitPriceMinor, 990);
    assert.equal(await stockOf(product.id), 1);
    const committed = await unary(inventory.commit.bind(inventory), { reservationId: id });
    assert.equal(committed.reservation?.status, ReservationStatus.RESERVATION_STATUS_COMMITTED);
    await assert.rejects(
      unary(inventory.reserve.bind(inventory), { reservationId: randomUUID(), items, ttlSeconds: 0 }),
      (err: grpc.ServiceError) => err.code === grpc.status.FAILED_PRECONDITION && /insufficient stock/.test(err.details),
    );
  });

  it('gives stock back when order.cancelled arrives over RabbitMQ', async () => {
    const product = await createProduct(5);
    const orderId = randomUUID();
    await unary(inventory.reserve.bind(inventory), {
      reservationId: orderId,
      items: [{ productId: product.id, quantity: 4 }],
      ttlSeconds: 0,
    });
    assert.equal(await stockOf(product.id), 1);
    const envelope: EventEnvelope<'order.cancelled'> = {
      eventId: randomUUID(),
      topic: 'order.cancelled',
      version: 1,
      occurredAt: new Date().toISOString(),
      data: {
        orderId,
        userId: randomUUID(),
        userEmail: 'buyer@meshmart.test',
        totalMinor: 3960,
        currency: 'EUR',
        lines: [{ productId: product.id, name: product.name, quantity: 4, unitPriceMinor: 990 }],
        reason: 'cancelled by the buyer',
        refundedMinor: 0,
        at: new Date().toISOString(),
      },
    };
    // catalog's own sidecar may publish to the component it is scoped to; orders will do the same.
    const published = await fetch(`${stack.urls.services.catalog?.dapr}/v1.0/publish/pubsub/order.cancelled`, {
      method: 'POST',
      headers: { 'dapr-api-token': stack.tokens.daprApiToken, 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
    });
    assert.equal(published.status, 204);
    await eventually('the stock to come back', async () => ((await stockOf(product.id)) === 5 ? true : undefined));
  });
});
