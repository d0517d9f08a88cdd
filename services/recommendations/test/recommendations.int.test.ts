/**
 * recommendations on the real PostgreSQL: events POSTed to the subscription routes the
 * way daprd delivers them (repeated and out of order too), the gRPC API called on the app
 * port as daprd's proxy calls it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type EventTopic, eventSchemas, type RunningServer } from '@meshmart/kit';
import { type Recommendation, RecommendationsServiceClient, Source } from '@meshmart/proto/recommendations/v1/recommendations';
import { deliverEvent, infraForThisRun, type ServiceOnScratchDatabase, startOnScratchDatabase } from '@meshmart/test-support';
import { service } from '../src/service.ts';

const TOKEN = 'recommendations-int-test-token';
const infra = infraForThisRun();

describe('recommendations on the real PostgreSQL', () => {
  let recommendations: ServiceOnScratchDatabase;
  let server: RunningServer;
  let client: RecommendationsServiceClient;
  const md = new grpc.Metadata();
  md.set('dapr-api-token', TOKEN);

  before(async function () {
    this.timeout(180_000);
    recommendations = await startOnScratchDatabase(infra, 'recommendations_it', (env) =>
      service.start({ ...service.loadConfig({ ...env, APP_API_TOKEN: TOKEN }), PORT: 0 }, { handleSignals: false }),
    );
    server = recommendations.server;
    client = new RecommendationsServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await recommendations?.stop();
  });

  async function deliver(topic: EventTopic, data: unknown): Promise<void> {
    const envelope = {
      eventId: randomUUID(),
      topic,
      version: eventSchemas[topic].version,
      occurredAt: new Date().toISOString(),
      data,
    };
    assert.equal(await deliverEvent(recommendations.base, topic, envelope, TOKEN), 'SUCCESS');
  }

  async function product(category: string, name = `p-${randomUUID().slice(0, 8)}`): Promise<string> {
    const productId = randomUUID();
    await deliver('product.created', {
      productId,
      name,
      category,
      description: '',
      priceMinor: 1000,
      currency: 'EUR',
      revision: 1,
      at: new Date().toISOString(),
    });
    return productId;
  }

  const order = (productIds: string[], userId = randomUUID(), orderId = randomUUID()) => ({
    orderId,
    userId,
    userEmail: 'buyer@meshmart.test',
    totalMinor: 1000 * productIds.length,
    currency: 'EUR',
    at: new Date().toISOString(),
    lines: productIds.map((productId) => ({ productId, name: 'x', quantity: 1, unitPriceMinor: 1000 })),
  });
  const paid = (o: ReturnType<typeof order>) => deliver('order.paid', { ...o, paymentId: randomUUID() });
  const cancelled = (o: ReturnType<typeof order>) =>
    deliver('order.cancelled', { ...o, reason: 'changed mind', refundedMinor: o.totalMinor });
  const stock = (productId: string, available: number, revision: number) =>
    deliver('inventory.stock_changed', { productId, available, held: 0, revision, at: new Date().toISOString() });

  const boughtTogether = (productId: string, limit = 0) =>
    new Promise<Recommendation[]>((resolve, reject) =>
      client.getBoughtTogether({ productId, limit }, md, (err, res) => (err ? reject(err) : resolve(res.recommendations))),
    );
  const forUser = (userId: string, limit = 0) =>
    new Promise<Recommendation[]>((resolve, reject) =>
      client.getForUser({ userId, limit }, md, (err, res) => (err ? reject(err) : resolve(res.recommendations))),
    );
  const together = (productId: string) => boughtTogether(productId);
  const ids = (list: Recommendation[]) => list.map((r) => r.productId);

  it('puts B first on A after 30 orders of both, even against a best-seller in every basket', async () => {
    const cat = `c-${randomUUID().slice(0, 6)}`;
    const [a, b, popular, c] = [await product(cat), await product(cat), await product(cat), await product(cat)];
    for (let i = 0; i < 30; i++) await paid(order([a, b, popular]));
    // The best-seller also sells on its own, in many more orders than A and B.
    for (let i = 0; i < 60; i++) await paid(order(i % 2 ? [popular, c] : [popular]));
    const list = await together(a);
    assert.equal(list[0]?.productId, b);
    assert.equal(list[0]?.source, Source.SOURCE_BOUGHT_TOGETHER);
    assert.ok(!ids(list).includes(a), 'never the product itself');
  });

  it('counts a repeated payment once and undoes a cancelled one, whichever arrives first', async () => {
    const cat = `c-${randomUUID().slice(0, 6)}`;
    const [a, b, d] = [await product(cat), await product(cat), await product(cat)];
    const once = order([a, b]);
    await paid(once);
    await paid(once);
    await paid(order([a, d]));
    await paid(order([a, d]));
    // d shares two orders with a, b one (counted once): d first, and b is below the 2-order bar.
    assert.deepEqual(
      (await together(a)).filter((r) => r.source === Source.SOURCE_BOUGHT_TOGETHER).map((r) => r.productId),
      [d],
    );
    const early = order([a, b]);
    await cancelled(early);
    await paid(early);
    const second = order([a, b]);
    await paid(second);
    await cancelled(second);
    await cancelled(second);
    assert.deepEqual(
      (await together(a)).filter((r) => r.source === Source.SOURCE_BOUGHT_TOGETHER).map((r) => r.productId),
      [d],
    );
  });

  it('takes payments and cancellations of orders sharing products at once, without a deadlock', async () => {
    const cat = `c-${randomUUID().slice(0, 6)}`;
    const [a, b, c] = [await product(cat), await product(cat), await product(cat)];
    const earlier = Array.from({ length: 12 }, () => order([a, b, c]));
    for (const o of earlier) await paid(o);
    // Each delivery must answer SUCCESS: a deadlock aborts one statement, and its delivery answers RETRY.
    await Promise.all([...earlier.map(cancelled), ...Array.from({ length: 12 }, () => paid(order([a, b, c])))]);
    assert.deepEqual(
      (await together(a))
        .filter((r) => r.source === Source.SOURCE_BOUGHT_TOGETHER)
        .map((r) => r.productId)
        .sort(),
      [b, c].sort(),
    );
  });

  it("gives a new product its category's best-sellers, and never what is out of stock or deleted", async () => {
    const cat = `c-${randomUUID().slice(0, 6)}`;
    const [best, second, gone] = [await product(cat), await product(cat), await product(cat)];
    for (let i = 0; i < 3; i++) await paid(order([best]));
    await paid(order([second]));
    await paid(order([gone]));
    const fresh = await product(cat);
    const list = await together(fresh);
    assert.deepEqual(ids(list).slice(0, 3).sort(), [best, second, gone].sort());
    assert.equal(list[0]?.productId, best);
    assert.ok(list.slice(0, 3).every((r) => r.source === Source.SOURCE_CATEGORY_BEST_SELLER));

    await stock(best, 0, 2);
    await stock(best, 7, 1);
    await deliver('product.deleted', { productId: gone, revision: 2, at: new Date().toISOString() });
    const after = ids(await together(fresh));
    assert.ok(!after.includes(best), 'out of stock');
    assert.ok(!after.includes(gone), 'deleted');
    assert.equal(after[0], second);
    await stock(best, 4, 3);
    assert.equal(ids(await together(fresh))[0], best, 'back in stock');
  });

  it('recommends for a user from their orders, without what they bought, and best-sellers to a new user', async () => {
    const cat = `c-${randomUUID().slice(0, 6)}`;
    const [a, b] = [await product(cat), await product(cat)];
    for (let i = 0; i < 5; i++) await paid(order([a, b]));
    const user = randomUUID();
    await paid(order([a], user));
    const mine = await forUser(user);
    assert.equal(mine[0]?.productId, b);
    assert.ok(!ids(mine).includes(a), 'not what they bought');
    const stranger = await forUser(randomUUID());
    assert.ok(stranger.length > 0);
    assert.ok(stranger.every((r) => r.source === Source.SOURCE_BEST_SELLER));
  });

  it('learns a product it never had an event of from its first sale, until a product event says more', async () => {
    const unseen = randomUUID();
    const o = order([unseen]);
    o.lines[0] = { productId: unseen, name: 'Learnt from an order', quantity: 1, unitPriceMinor: 777 };
    for (let i = 0; i < 50; i++) await paid({ ...o, orderId: randomUUID() });
    const learnt = (await forUser(randomUUID())).find((r) => r.productId === unseen);
    assert.equal(learnt?.name, 'Learnt from an order');
    assert.equal(learnt?.priceMinor, 777);
    await deliver('product.updated', {
      productId: unseen,
      name: 'Renamed by catalog',
      category: 'c-learnt',
      description: '',
      priceMinor: 800,
      currency: 'EUR',
      revision: 3,
      at: new Date().toISOString(),
    });
    await paid(o);
    const updated = (await forUser(randomUUID())).find((r) => r.productId === unseen);
    assert.equal(updated?.name, 'Renamed by catalog');
  });

  it('refuses a malformed id or limit', async () => {
    await assert.rejects(boughtTogether("'; --"), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
    await assert.rejects(forUser(randomUUID(), 21), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  });
});
