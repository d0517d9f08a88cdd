import assert from 'node:assert/strict';
import { Problem, parse } from '@meshmart/kit';
import type { z } from 'zod';
import { addressIdParams, addressRequest, listUsersQuery, registerRequest, updateMeRequest } from '../src/schemas.ts';

function fieldErrors(schema: z.ZodType, value: unknown): Array<{ field: string; message: string }> {
  try {
    parse(schema, value);
  } catch (err) {
    assert.ok(err instanceof Problem);
    assert.equal(err.status, 400);
    return err.errors ?? [];
  }
  assert.fail('expected a validation problem');
}

const fields = (errors: Array<{ field: string }>) => errors.map((e) => e.field).sort();

describe('request body validation', () => {
  const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

  it('accepts well-formed bodies', () => {
    parse(registerRequest, { email: 'ann@example.com', password: 'correct horse', displayName: 'Ann' });
    parse(addressRequest, { ...address, label: 'home', line2: '' });
  });

  it('names unknown fields, including injected operators', () => {
    const errors = fieldErrors(registerRequest, {
      email: 'ann@example.com',
      password: 'correct horse',
      displayName: 'Ann',
      isAdmin: true,
      $where: '1',
    });
    assert.deepEqual(errors, [
      { field: 'isAdmin', message: 'unknown field' },
      { field: '$where', message: 'unknown field' },
    ]);
  });

  it('names wrong types and operator objects in place of values', () => {
    assert.deepEqual(fields(fieldErrors(registerRequest, { email: { $gt: '' }, password: 12345678, displayName: ['x'] })), [
      'displayName',
      'email',
      'password',
    ]);
  });

  it('enforces the users contract bounds', () => {
    assert.deepEqual(fields(fieldErrors(registerRequest, { email: 'not-an-email', password: 'short', displayName: '   ' })), [
      'displayName',
      'email',
      'password',
    ]);
    assert.deepEqual(fields(fieldErrors(updateMeRequest, { displayName: 'x'.repeat(81) })), ['displayName']);
    assert.deepEqual(fields(fieldErrors(addressRequest, { ...address, country: 'USA' })), ['country']);
  });

  it('refuses a missing or non-object body as a whole', () => {
    assert.deepEqual(fields(fieldErrors(registerRequest, undefined)), ['(body)']);
    assert.deepEqual(fields(fieldErrors(addressRequest, [address])), ['(body)']);
  });

  it('validates path ids and list paging', () => {
    assert.deepEqual(fields(fieldErrors(addressIdParams, { id: "1' OR '1'='1" })), ['id']);
    assert.deepEqual(parse(listUsersQuery, { limit: '10', offset: '20' }), { limit: 10, offset: 20 });
    assert.deepEqual(fields(fieldErrors(listUsersQuery, { limit: '1000', offset: '-1', sort: 'x' })), [
      'limit',
      'offset',
      'sort',
    ]);
  });
});
