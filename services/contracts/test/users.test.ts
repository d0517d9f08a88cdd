import assert from 'node:assert/strict';
import { z } from 'zod';
import { addressIdParam, addressRequest, listUsersQuery, registerRequest, updateMeRequest } from '../src/users.ts';
import { errorsOf as fieldErrors } from './fields.ts';

const addressIdParams = z.strictObject({ id: addressIdParam });

const fields = (errors: Array<{ field: string }>) => errors.map((e) => e.field).sort();

describe('request body validation', () => {
  const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

  it('accepts well-formed bodies', () => {
    registerRequest.parse({ email: 'ann@example.com', password: 'correct horse', displayName: 'Ann' });
    addressRequest.parse({ ...address, label: 'home', line2: '' });
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
    assert.deepEqual(listUsersQuery.parse({ limit: '10', offset: '20' }), { limit: 10, offset: 20 });
    assert.deepEqual(fields(fieldErrors(listUsersQuery, { limit: '1000', offset: '-1', sort: 'x' })), [
      'limit',
      'offset',
      'sort',
    ]);
  });
});
