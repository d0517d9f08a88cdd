import assert from 'node:assert/strict';
import type { z } from 'zod';
import { productListQuery } from '../src/catalog.ts';
import { listNotificationsQuery } from '../src/notifications.ts';
import { listOrdersQuery } from '../src/orders.ts';
import { listUsersQuery } from '../src/users.ts';

const lists: [string, z.ZodType][] = [
  ['GET /products', productListQuery],
  ['GET /orders', listOrdersQuery],
  ['GET /notifications', listNotificationsQuery],
  ['GET /users', listUsersQuery],
];

/** What z.coerce read as numbers and an empty value once read as 0: each is now refused. */
const refused = ['1e1', '0x10', '5.0', ' 5', '-1', ''];

const parses = (schema: z.ZodType, query: Record<string, string>) => schema.safeParse(query).success;

describe('limit and offset of the four paged lists', () => {
  for (const [route, schema] of lists) {
    describe(route, () => {
      it('reads plain digits as the number they stand for and defaults missing ones', () => {
        assert.deepEqual(pageOf(schema.parse({ limit: '5', offset: '5' })), { limit: 5, offset: 5 });
        assert.deepEqual(pageOf(schema.parse({})), { limit: 20, offset: 0 });
      });

      for (const value of refused) {
        it(`refuses limit=${JSON.stringify(value)} and offset=${JSON.stringify(value)}`, () => {
          assert.equal(parses(schema, { limit: value }), false);
          assert.equal(parses(schema, { offset: value }), false);
        });
      }

      it('refuses a limit above 100 and accepts 100', () => {
        assert.equal(parses(schema, { limit: '100' }), true);
        assert.equal(parses(schema, { limit: '101' }), false);
      });
    });
  }

  it("stops users' offset at 1,000,000", () => {
    assert.equal(parses(listUsersQuery, { offset: '1000000' }), true);
    assert.equal(parses(listUsersQuery, { offset: '1000001' }), false);
  });
});

function pageOf(query: unknown) {
  const { limit, offset } = query as { limit: number; offset: number };
  return { limit, offset };
}
